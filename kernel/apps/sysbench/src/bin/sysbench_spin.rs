//! sysbench_spin: the other half of `npm run bench:syscall`'s context-switch pair. After its
//! one line it makes no system call unless something is wrong: it runs until its timeslice
//! ends, so every switch to and from it is a timeslice switch between two ready processes
//! (tests/bench/syscall-bench.ts).
//!
//! It spins with known values in r4-r11 (the registers the kernel saves and restores itself,
//! not the hardware's exception frame) and checks them after each spin of about a timeslice:
//! a context switch that lost or mixed up a process's callee-saved registers shows as
//! `sysbench_spin: r4-r11 changed across a switch`, which the benchmark refuses. After
//! `CHECKED` spins it prints `sysbench_spin: r4-r11 kept` once.
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]

use capsule_rt::println;

/// Spins between two checks: about 2.5 M cycles, a few 10 ms timeslices at 64 MHz.
const SPIN: u32 = 1_000_000;
/// Spins checked before the one "kept" line.
const CHECKED: u32 = 3;

/// Loads r4-r11 with a pattern each, counts `SPIN` down, and returns the OR of each register
/// XOR its pattern: 0 when all eight survived whatever switches happened meanwhile.
#[cfg(target_arch = "arm")]
fn spin_and_check() -> u32 {
    let changed: u32;
    // SAFETY: registers only, no memory but this process's own stack: r4-r11 are pushed first
    // and popped last (r7, the frame pointer, and r9 included), so the compiler's values in
    // them survive; r0-r3 are declared clobbered.
    unsafe {
        core::arch::asm!(
            "push {{r4-r11}}",
            "mov.w r4, #0x44444444",
            "mov.w r5, #0x55555555",
            "mov.w r6, #0x66666666",
            "mov.w r7, #0x77777777",
            "mov.w r8, #0x88888888",
            "mov.w r9, #0x99999999",
            "mov.w r10, #0xaaaaaaaa",
            "mov.w r11, #0xbbbbbbbb",
            "2:",
            "subs r0, r0, #1",
            "bne 2b",
            "eor r1, r4, #0x44444444",
            "eor r2, r5, #0x55555555",
            "orr r1, r1, r2",
            "eor r2, r6, #0x66666666",
            "orr r1, r1, r2",
            "eor r2, r7, #0x77777777",
            "orr r1, r1, r2",
            "eor r2, r8, #0x88888888",
            "orr r1, r1, r2",
            "eor r2, r9, #0x99999999",
            "orr r1, r1, r2",
            "eor r2, r10, #0xaaaaaaaa",
            "orr r1, r1, r2",
            "eor r2, r11, #0xbbbbbbbb",
            "orr r1, r1, r2",
            "pop {{r4-r11}}",
            inout("r0") SPIN => _,
            out("r1") changed,
            out("r2") _,
            out("r3") _,
        );
    }
    changed
}

/// Host builds (the workspace's checks) never run apps.
#[cfg(not(target_arch = "arm"))]
fn spin_and_check() -> u32 {
    0
}

#[no_mangle]
fn app_main() {
    println!("sysbench_spin: spinning");
    let mut spins = 0u32;
    loop {
        if spin_and_check() != 0 {
            println!("sysbench_spin: r4-r11 changed across a switch");
        }
        spins = spins.saturating_add(1);
        if spins == CHECKED {
            println!("sysbench_spin: r4-r11 kept");
        }
    }
}
