//! peek: reads another process's memory (the first app slot's RAM, where hello lives). The MPU
//! must fault it and the report must name peek and the address it touched.
#![no_std]
#![no_main]

use capsule_rt::{alarm, println};

/// RAM of the first app slot (scripts/apps.mjs places hello there).
const OTHER_PROCESS_RAM: u32 = 0x2000_8000;

#[no_mangle]
fn app_main() {
    let _ = alarm::sleep_ms(400);
    println!(
        "peek: reading another process's RAM at {:#010x}",
        OTHER_PROCESS_RAM
    );
    // SAFETY: none; this read is the fault under test and must never complete.
    let value = unsafe { core::ptr::read_volatile(OTHER_PROCESS_RAM as *const u32) };
    println!("peek: ERROR read {:#010x} from another process", value);
}
