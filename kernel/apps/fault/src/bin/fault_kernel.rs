//! fault_kernel: writes into kernel RAM on purpose. The MPU must stop it, the kernel must
//! report the fault (process, address, reason) and apply this process's fault policy while
//! every other process keeps running.
#![no_std]
#![no_main]

use capsule_rt::{alarm, println};

/// Start of kernel RAM on every board we support (see kernel/boards/*/layout.json).
const KERNEL_RAM: u32 = 0x2000_0000;

#[no_mangle]
fn app_main() {
    // A pause first, so a restarted instance does not flood the console.
    let _ = alarm::sleep_ms(200);
    println!(
        "fault_kernel: writing to kernel RAM at {:#010x}",
        KERNEL_RAM
    );
    // SAFETY: none; this write is the fault under test and must never complete.
    unsafe { core::ptr::write_volatile(KERNEL_RAM as *mut u32, 0xdead_beef) };
    println!("fault_kernel: ERROR the write to kernel RAM was not stopped");
}
