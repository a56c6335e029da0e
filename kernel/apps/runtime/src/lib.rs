//! Userspace runtime for apps on the Capsule kernel (Tock's system-call ABI, TRD104).
//!
//! An app links this crate, defines `#[no_mangle] fn app_main()`, and gets: the process entry
//! (`_start`, which claims its RAM with memop brk as Tock's memory model requires, sets up its
//! stack, copies `.data`, zeroes `.bss` and calls `app_main`; `entry_registers()` gives r0-r3
//! as the kernel passed them), typed
//! system calls for all eight classes with their return variants decoded
//! ([`syscall`]), and small drivers for the console, alarm and RNG. Apps are linked at fixed
//! addresses by a linker script that `scripts/apps.mjs` writes; the symbols the entry code uses
//! (`_sram_origin`, `_app_break`, `_stack_top`, `_sdata`, `_edata`, `_sidata`, `_sbss`, `_ebss`)
//! come from it.
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! use capsule_rt::println;
//! #[no_mangle]
//! fn app_main() {
//!     println!("hello: Hello, World!");
//! }
//! ```
//!
//! On the host (not ARM) only the pure parts build, so `cargo test` can check the return-value
//! decoding.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(target_arch = "arm")]
pub mod alarm;
#[cfg(target_arch = "arm")]
mod completion;
#[cfg(target_arch = "arm")]
pub mod console;
#[cfg(target_arch = "arm")]
pub mod rng;
pub mod syscall;

#[cfg(target_arch = "arm")]
mod entry;

pub use syscall::{ErrorCode, SyscallReturn};

#[cfg(target_arch = "arm")]
pub use entry::{entry_registers, EXIT_MISPLACED, EXIT_NO_MEMORY};

/// Ends the process: exit-terminate with `code` (never returns).
#[cfg(target_arch = "arm")]
pub fn exit(code: u32) -> ! {
    syscall::exit_terminate(code)
}

#[cfg(all(target_arch = "arm", not(test)))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    // Printing may itself fail; the exit below happens either way.
    let _ = console::write_fmt(format_args!("app panic: {}\n", info));
    syscall::exit_terminate(0xdead)
}
