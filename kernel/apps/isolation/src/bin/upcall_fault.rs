//! upcall_fault: faults inside an upcall. Its alarm upcall writes kernel RAM: the MPU must stop
//! the write, the kernel must report the fault with the pc inside the upcall handler (whose
//! address this app prints first) and apply the fault policy, and no other process may notice.
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]

use capsule_rt::syscall::{self, command};
use capsule_rt::{alarm, println};

/// Start of kernel RAM on every board we support (see kernel/boards/*/layout.json).
const KERNEL_RAM: u32 = 0x2000_0000;

unsafe extern "C" fn on_alarm(now: u32, _: u32, _: u32, _: usize) {
    // SAFETY: none; this write is the fault under test and must never complete.
    unsafe { core::ptr::write_volatile(KERNEL_RAM as *mut u32, now) };
}

#[no_mangle]
fn app_main() {
    // A pause first, so a restarted instance does not flood the console.
    let _ = alarm::sleep_ms(100);
    println!(
        "upcall_fault: upcall handler at {:#010x}; it writes kernel RAM at {:#010x}",
        on_alarm as usize & !1,
        KERNEL_RAM
    );
    // SAFETY: the handler takes no appdata.
    let _ = unsafe { syscall::subscribe(0, 0, Some(on_alarm), 0) };
    let _ = command(0, 5, 10, 0);
    for _ in 0..100 {
        syscall::yield_wait();
    }
    println!("upcall_fault: ERROR the upcall's write was not stopped");
}
