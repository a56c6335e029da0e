//! hello: the smallest app. Prints a greeting and where the kernel put it (memop 2-5), then
//! exits, so a boot transcript proves entry, console, memop and exit all work.
#![no_std]
#![no_main]

use capsule_rt::println;
use capsule_rt::syscall::memop;

#[no_mangle]
fn app_main() {
    println!("hello: Hello, World!");
    let word = |op| memop(op, 0).to_u32().unwrap_or(0);
    println!(
        "hello: flash {:#010x}-{:#010x} ram {:#010x}-{:#010x}",
        word(4),
        word(5),
        word(2),
        word(3)
    );
}
