//! sysbench_calls: the null system calls `npm run bench:syscall` times (tests/bench/syscall-bench.ts).
//!
//! It makes `ROUNDS` calls of each kind that does no work in the kernel beyond the trap, the
//! decode and the return: yield-no-wait with no upcall queued (the flag byte comes back 0),
//! memop 2 (RAM start) and command 0 of the low-level debug driver (8: "driver exists"). The
//! benchmark finds them in the emulator's exception records by class and arguments. Then it
//! prints `sysbench: done` and spins without system calls (checking its r4-r11 survive), so the kernel switches between it
//! and `sysbench_spin` only when a timeslice ends: those switches are the context switches the
//! benchmark times.
#![no_std]
#![no_main]

#[path = "../regcheck.rs"]
mod regcheck;

use capsule_rt::println;
use capsule_rt::syscall::{command, memop, yield_no_wait};

/// Calls of each kind.
const ROUNDS: u32 = 200;
/// The low-level debug driver (command 0 answers "exists" and does nothing else).
const LOW_LEVEL_DEBUG: u32 = 8;

#[no_mangle]
fn app_main() {
    let mut failures = 0;
    for _ in 0..ROUNDS {
        if yield_no_wait() {
            failures += 1;
        }
    }
    for _ in 0..ROUNDS {
        if memop(2, 0).to_u32().is_err() {
            failures += 1;
        }
    }
    for _ in 0..ROUNDS {
        if command(LOW_LEVEL_DEBUG, 0, 0, 0).error().is_some() {
            failures += 1;
        }
    }
    println!("sysbench: done ({} unexpected results)", failures);
    // Spin with r4-r11 of its own (`regcheck`; sysbench_spin checks its own the same way).
    loop {
        if regcheck::spin_and_check(0x0a0b_0c0d) != 0 {
            println!("sysbench_calls: r4-r11 changed across a switch");
        }
    }
}
