//! Process entry: the first instructions a process runs.
//!
//! The kernel starts a process at the TBF's init function with r0 = start of the app's flash
//! (after the TBF header and protected region), r1 = start of its RAM block, r2 = the block's
//! length and r3 = the initial app break. Our apps are linked for fixed addresses, so the
//! linker symbols already say where everything goes; the registers are kept for
//! `app_main`'s use through [`crate::syscall::memop`]. The stack sits at the bottom of the RAM
//! block, so an overflow runs below the process's memory and the MPU stops it.

use core::arch::global_asm;

// `_start` must be first in flash (the `.start` section) and must not touch the stack before
// it is set: hence assembly rather than a Rust function.
global_asm!(
    ".section .start, \"ax\"",
    ".global _start",
    ".type _start, %function",
    ".thumb_func",
    "_start:",
    "    ldr r4, =_stack_top",
    "    mov sp, r4",
    "    bl capsule_rt_start",
    "    b .",
);

extern "C" {
    static mut _sdata: u32;
    static mut _edata: u32;
    static _sidata: u32;
    static mut _sbss: u32;
    static mut _ebss: u32;
    static _stack_top: u32;
}

extern "Rust" {
    fn app_main();
}

/// Copies `.data`, zeroes `.bss`, declares the stack to the kernel and runs the app.
///
/// # Safety
/// Called once, from `_start`, with the stack set and nothing else initialised yet.
#[no_mangle]
unsafe extern "C" fn capsule_rt_start() -> ! {
    // SAFETY: the linker script places [_sdata, _edata) and [_sbss, _ebss) in the app's RAM
    // below the initial break and _sidata in flash; nothing has used those bytes yet, and the
    // volatile word copies stop the compiler from turning this loop into a memcpy call that
    // would read the not-yet-initialised statics.
    unsafe {
        let mut src = core::ptr::addr_of!(_sidata);
        let mut dst = core::ptr::addr_of_mut!(_sdata);
        let end = core::ptr::addr_of_mut!(_edata);
        while dst < end {
            core::ptr::write_volatile(dst, core::ptr::read_volatile(src));
            dst = dst.add(1);
            src = src.add(1);
        }
        let mut dst = core::ptr::addr_of_mut!(_sbss);
        let end = core::ptr::addr_of_mut!(_ebss);
        while dst < end {
            core::ptr::write_volatile(dst, 0);
            dst = dst.add(1);
        }
    }
    // Debugging aids only: the kernel shows them in fault reports.
    let stack_top = core::ptr::addr_of!(_stack_top) as u32;
    let _ = crate::syscall::memop(10, stack_top);
    let _ = crate::syscall::memop(11, core::ptr::addr_of!(_ebss) as u32);
    // SAFETY: `app_main` is the Rust function every app defines with #[no_mangle].
    unsafe { app_main() };
    crate::syscall::exit_terminate(0)
}
