//! sysbench_spin: the other half of `npm run bench:syscall`'s context-switch pair. After its
//! one line it makes no system call unless something is wrong: it runs until its timeslice
//! ends, so every switch to and from it is a timeslice switch between two ready processes
//! (tests/bench/syscall-bench.ts).
//!
//! It spins with known values in r4-r11 (the registers the kernel saves and restores itself,
//! not the hardware's exception frame; `regcheck`, with other values than `sysbench_calls`
//! spins with) and checks them after each spin of a few timeslices: a context switch that
//! lost or mixed up a process's callee-saved registers shows as `sysbench_spin: r4-r11
//! changed across a switch`, which the benchmark refuses. After `CHECKED` spins it prints
//! `sysbench_spin: r4-r11 kept` once.
#![no_std]
#![no_main]

use capsule_rt::println;

#[path = "../regcheck.rs"]
mod regcheck;

/// Spins checked before the one "kept" line.
const CHECKED: u32 = 3;

#[no_mangle]
fn app_main() {
    println!("sysbench_spin: spinning");
    let mut spins = 0u32;
    loop {
        if regcheck::spin_and_check(0x0102_0304) != 0 {
            println!("sysbench_spin: r4-r11 changed across a switch");
        }
        spins = spins.saturating_add(1);
        if spins == CHECKED {
            println!("sysbench_spin: r4-r11 kept");
        }
    }
}
