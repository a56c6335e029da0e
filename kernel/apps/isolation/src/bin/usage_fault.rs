//! usage_fault: one fault per run, the next one after each restart, so the kernel's
//! restart-up-to-3 policy sees four in all before it leaves the process Faulted:
//!
//! 0. an undefined instruction (UDF);
//! 1. a branch that clears the Thumb bit (BX to an even address: INVSTATE);
//! 2. an unaligned LDRD (always a fault on ARMv7-M: UNALIGNED);
//! 3. the return from a system call. First the frame the kernel returns through is corrupted:
//!    the yield-no-wait flag pointer is aimed at the low byte of the stacked xPSR of that very
//!    call, so when an upcall runs the kernel's "1" lands in the frame's IPSR field (returning
//!    to Thread mode with IPSR set is an INVPC UsageFault on the exception return, ARMv7-M ARM
//!    B1.5.8, which QEMU takes on the kernel's stack). The kernel resumes processes through a
//!    clean xPSR, so the process goes on and says how often. Then the break is lowered below
//!    the stack pointer: the kernel cannot return through a frame the process may no longer
//!    reach and reports the fault.
//!
//! Which run this is lives in two words of heap claimed above .bss (sbrk), which a restart does
//! not clear: the runtime re-initialises only .data and .bss, and claims the same break again.
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]

use capsule_rt::syscall::{self, command, memop};
use capsule_rt::{alarm, println};
use core::arch::asm;
use core::sync::atomic::{AtomicU32, Ordering};

const MAGIC: u32 = 0x5553_4147;

/// An aligned word for the unaligned load to miss by one byte.
static WORDS: [u32; 4] = [1, 2, 3, 4];

/// The run number, counted in memory that survives a restart.
fn run_number() -> u32 {
    let cell = memop(1, 8).to_u32().unwrap_or(0) as *mut u32;
    // SAFETY: the 8 bytes just claimed above .bss belong to this process and nothing else
    // uses them.
    unsafe {
        let n = if core::ptr::read_volatile(cell) == MAGIC {
            core::ptr::read_volatile(cell.add(1))
        } else {
            0
        };
        core::ptr::write_volatile(cell, MAGIC);
        core::ptr::write_volatile(cell.add(1), n + 1);
        n
    }
}

unsafe extern "C" fn ignore(_: u32, _: u32, _: u32, _: usize) {}

static UPCALLS: AtomicU32 = AtomicU32::new(0);

unsafe extern "C" fn count(_: u32, _: u32, _: u32, _: usize) {
    UPCALLS.fetch_add(1, Ordering::Relaxed);
}

/// Yield-no-waits whose flag byte is the IPSR byte of their own stacked frame, until five of
/// them have run an upcall (each a return through a frame with IPSR = 1).
fn corrupt_exception_return() -> u32 {
    // SAFETY: the handler touches only an atomic.
    let _ = unsafe { syscall::subscribe(0, 0, Some(count), 0) };
    for _ in 0..50 {
        if UPCALLS.load(Ordering::Relaxed) >= 5 {
            break;
        }
        let expiry = command(0, 5, 3, 0).to_u32().unwrap_or(0);
        // Spin until the alarm has fired, so an upcall is queued when we yield.
        while (alarm::now().unwrap_or(expiry).wrapping_sub(expiry) as i32) < 3 {}
        // SAFETY: sp is moved to an 8-byte boundary below itself and restored; the svc's
        // frame is then the 32 bytes below that boundary and its xPSR word the last 4 of them;
        // the kernel writes the flag byte there, inside this process's stack.
        unsafe {
            asm!(
                "mov r4, sp",
                "bic r5, r4, #7",
                "mov sp, r5",
                "sub r1, r5, #4",
                "movs r0, #0",
                "svc 0",
                "mov sp, r4",
                out("r0") _,
                out("r1") _,
                out("r2") _,
                out("r3") _,
                out("r4") _,
                out("r5") _,
                out("r12") _,
                out("lr") _,
            );
        }
    }
    UPCALLS.load(Ordering::Relaxed)
}

/// Lowers the break below the stack pointer, then makes a system call: its return frame is
/// outside the process's memory.
fn return_through_lost_stack() {
    let ram = memop(2, 0).to_u32().unwrap_or(0);
    let _ = memop(0, ram + 0x100);
    let _ = memop(2, 0);
}

#[no_mangle]
fn app_main() {
    // A pause first, so restarts do not flood the console.
    let _ = alarm::sleep_ms(100);
    let n = run_number();
    match n % 4 {
        0 => {
            println!("usage_fault: run {}: an undefined instruction", n);
            // SAFETY: none; UDF is the fault under test.
            unsafe { asm!("udf #0") };
        }
        1 => {
            let target = ignore as usize & !1;
            println!(
                "usage_fault: run {}: a branch to {:#010x} with the Thumb bit clear",
                n, target
            );
            // SAFETY: none; the branch faults before the target runs.
            unsafe { asm!("bx {0}", in(reg) target) };
        }
        2 => {
            let at = WORDS.as_ptr() as usize + 1;
            println!("usage_fault: run {}: an unaligned LDRD at {:#010x}", n, at);
            // SAFETY: none; the load faults (LDRD needs word alignment) and reads nothing.
            unsafe { asm!("ldrd {0}, {1}, [{2}]", out(reg) _, out(reg) _, in(reg) at) };
        }
        _ => {
            let survived = corrupt_exception_return();
            println!(
                "usage_fault: run {}: {} returns through a frame with IPSR set, none faulted; now a return through a stack below the break",
                n, survived
            );
            return_through_lost_stack();
        }
    }
    println!("usage_fault: ERROR run {} did not fault", n);
}
