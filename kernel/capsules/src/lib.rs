//! Capsules: drivers written in safe Rust on top of the kernel's HILs.
//!
//! Every capsule is `#![forbid(unsafe_code)]` (checked by `npm run kernel:tcb`): a bug in a
//! capsule can misuse the resources it was given, but cannot break memory safety.
#![no_std]
// `map_or(false, ..)` stays: its suggested replacement (`is_some_and`) needs Rust 1.70 and the
// kernel must build with Debian's 1.63.
#![allow(unknown_lints, clippy::unnecessary_map_or)]
// `is_multiple_of` (1.87) and `div_ceil` (1.73) are newer than Debian's 1.63 as well.
#![allow(clippy::manual_is_multiple_of, clippy::manual_div_ceil)]
// Array initialisers `[CONST; N]` of non-Copy cells need a named const on Rust 1.63.
#![allow(clippy::declare_interior_mutable_const)]
#![forbid(unsafe_code)]

pub mod alarm;
pub mod board;
pub mod button;
pub mod console;
pub mod gpio;
pub mod led;
pub mod low_level_debug;
pub mod process_console;
pub mod rng;
pub mod temperature;
pub mod tock_bootloader;
pub mod virtual_alarm;
