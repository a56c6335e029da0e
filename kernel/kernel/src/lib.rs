//! The Capsule kernel core: processes, scheduling, system calls, grants, HILs.
//!
//! This crate is architecture- and chip-independent and contains no `asm!`. It speaks Tock's
//! userspace ABI (TRD104 system calls, TBF v2 apps; the numbers live in the `abi` crate it
//! shares with the apps runtime). The Cortex-M crate supplies the context switch and MPU, a
//! chip crate the drivers, and a board crate composes everything. The kernel's work is split
//! into `loader` (process loading), `scheduler` and `dispatch` (system calls); debuggers find
//! its structures through `anchor`.
//!
//! ```
//! use kernel::syscall::SyscallReturn;
//! assert_eq!(SyscallReturn::SuccessU32(3).encode(), [129, 3, 0, 0]);
//! ```
#![no_std]
// `map_or(false, ..)` stays: its suggested replacement (`is_some_and`) needs Rust 1.70 and the
// kernel must build with Debian's 1.63.
#![allow(unknown_lints, clippy::unnecessary_map_or)]
// `is_multiple_of` (1.87) and `div_ceil` (1.73) are newer than Debian's 1.63 as well.
#![allow(clippy::manual_is_multiple_of, clippy::manual_div_ceil)]
// Array initialisers `[CONST; N]` of non-Copy cells need a named const on Rust 1.63.
#![allow(clippy::declare_interior_mutable_const)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod anchor;
pub mod board;
pub mod debug;
pub mod deferred;
mod dispatch;
pub mod dma;
pub mod errorcode;
pub mod fault;
pub mod grant;
pub mod hil;
pub mod kernel;
pub mod list;
mod loader;
pub mod platform;
pub mod process;
pub mod process_printer;
pub mod scheduler;
pub mod syscall;
pub mod tbf;

pub use crate::dispatch::FastAnswer;
pub use crate::errorcode::ErrorCode;
pub use crate::kernel::Kernel;
pub use crate::process::ProcessId;
/// The userspace ABI tables (shared with the apps runtime).
pub use abi;
