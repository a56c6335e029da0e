//! Hardware interface layers: split-phase traits between capsules and chip drivers.
//!
//! Every long operation is split: a call starts it and returns `Result<(), ErrorCode>` at
//! once; completion arrives later through a client callback. No HIL call blocks.

pub mod flash;
pub mod gpio;
pub mod rng;
pub mod sensors;
pub mod time;
pub mod uart;
