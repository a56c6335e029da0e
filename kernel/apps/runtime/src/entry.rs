//! Process entry: the first instructions a process runs, following Tock's process memory model.
//!
//! The kernel starts a process at the TBF's init function with r0 = start of the app's binary
//! in flash (after the TBF header and protected region), r1 = start of its RAM block, r2 = the
//! block's length and r3 = the initial app break. Only the first 32 bytes above r1 are
//! accessible at that point (room for one exception frame, as on Tock's Cortex-M kernels): the
//! entry must claim the memory it was linked to use with memop brk (0) before it pushes,
//! writes .data or zeroes .bss. Our apps are linked for fixed addresses, so the entry checks
//! that the kernel put the RAM block where the app was linked (r1 == the linker's RAM origin),
//! asks for a break at the end of its .bss (`_app_break`), then sets the stack (at the bottom
//! of the block, so an overflow leaves the process's memory and the MPU stops it) and runs
//! `app_main`. A refused brk or a misplaced block ends the process (exit-terminate with
//! `EXIT_NO_MEMORY` or `EXIT_MISPLACED`): nothing else can be done without memory. The four
//! registers stay available through [`entry_registers`].

use core::arch::global_asm;
use core::sync::atomic::{AtomicU32, Ordering};

/// Exit code when the kernel refuses the break the app was linked for.
pub const EXIT_NO_MEMORY: u32 = 0xb4ea;
/// Exit code when the RAM block is not where the (fixed-address) app was linked.
pub const EXIT_MISPLACED: u32 = 0xb4eb;

// `_start` must be first in flash (the `.start` section) and must touch no memory before brk:
// hence assembly rather than a Rust function. r4-r7 keep the entry registers across the svc.
global_asm!(
    ".section .start, \"ax\"",
    ".global _start",
    ".type _start, %function",
    ".thumb_func",
    "_start:",
    "    mov r4, r0",
    "    mov r5, r1",
    "    mov r6, r2",
    "    mov r7, r3",
    "    ldr r0, =_sram_origin",
    "    cmp r0, r5",
    "    bne 2f",
    "    movs r0, #0",
    "    ldr r1, =_app_break",
    "    svc 5",
    "    cmp r0, #128",
    "    bne 3f",
    "    ldr r0, =_stack_top",
    "    mov sp, r0",
    "    mov r0, r4",
    "    mov r1, r5",
    "    mov r2, r6",
    "    mov r3, r7",
    "    bl capsule_rt_start",
    // EXIT_MISPLACED and EXIT_NO_MEMORY (literals: `const` operands need a newer Rust).
    "2:  ldr r1, =0xb4eb",
    "    b 4f",
    "3:  ldr r1, =0xb4ea",
    "4:  movs r0, #0",
    "    svc 6",
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

static ENTRY: [AtomicU32; 4] = [
    AtomicU32::new(0),
    AtomicU32::new(0),
    AtomicU32::new(0),
    AtomicU32::new(0),
];

/// The registers the kernel started the process with: (binary start, RAM start, RAM length,
/// initial break).
pub fn entry_registers() -> (u32, u32, u32, u32) {
    let r = |i: usize| ENTRY[i].load(Ordering::Relaxed);
    (r(0), r(1), r(2), r(3))
}

/// Copies `.data`, zeroes `.bss`, declares the stack to the kernel and runs the app.
///
/// # Safety
/// Called once, from `_start`, after brk claimed the app's RAM and with the stack set; nothing
/// else initialised yet.
#[no_mangle]
unsafe extern "C" fn capsule_rt_start(app_start: u32, mem_start: u32, mem_len: u32, brk: u32) -> ! {
    // SAFETY: the linker script places [_sdata, _edata) and [_sbss, _ebss) in the app's RAM
    // below the break `_start` claimed and _sidata in flash; nothing has used those bytes yet,
    // and the volatile word copies stop the compiler from turning this loop into a memcpy call
    // that would read the not-yet-initialised statics.
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
    for (slot, value) in ENTRY.iter().zip([app_start, mem_start, mem_len, brk]) {
        slot.store(value, Ordering::Relaxed);
    }
    // Debugging aids only: the kernel shows them in fault reports.
    let stack_top = core::ptr::addr_of!(_stack_top) as u32;
    let _ = crate::syscall::memop(10, stack_top);
    let _ = crate::syscall::memop(11, core::ptr::addr_of!(_ebss) as u32);
    // SAFETY: `app_main` is the Rust function every app defines with #[no_mangle].
    unsafe { app_main() };
    crate::syscall::exit_terminate(0)
}
