//! Random bytes through the RNG driver (driver 0x40001).
//!
//! Read-write allow 0 lends the buffer, command 1 asks for n bytes, upcall 0 reports
//! (0, bytes delivered, 0).
//!
//! ```ignore
//! let mut buf = [0u8; 16];
//! let n = capsule_rt::rng::fill(&mut buf)?;
//! ```

use crate::completion::wait_for_upcall;
use crate::syscall::{self, ErrorCode};

pub const DRIVER: u32 = abi::Driver::Rng.number();

/// Fills `buffer` with random bytes; returns how many the driver delivered.
pub fn fill(buffer: &mut [u8]) -> Result<usize, ErrorCode> {
    let len = buffer.len();
    // SAFETY: `buffer` is exclusively borrowed for this call and the allow is withdrawn below.
    unsafe { syscall::allow_rw(DRIVER, 0, buffer.as_mut_ptr(), len)? };
    let result = wait_for_upcall(DRIVER, 0, || {
        syscall::command(DRIVER, 1, len as u32, 0).to_result()
    });
    // SAFETY: withdrawing the allow lends nothing.
    let _ = unsafe { syscall::allow_rw(DRIVER, 0, core::ptr::null_mut(), 0) };
    Ok((result?[1] as usize).min(len))
}
