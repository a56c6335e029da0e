//! sysbench_spin: the other half of `npm run bench:syscall`'s context-switch pair. It never
//! makes a system call after its one line: it runs until its timeslice ends, so every switch to and
//! from it is a timeslice switch between two ready processes (tests/bench/syscall-bench.ts).
#![no_std]
#![no_main]

use capsule_rt::println;

#[no_mangle]
fn app_main() {
    println!("sysbench_spin: spinning");
    loop {
        core::hint::spin_loop();
    }
}
