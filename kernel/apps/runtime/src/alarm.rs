//! Alarms through the alarm driver (driver 0): the clock's frequency, the current tick count
//! and sleeping for a number of milliseconds.
//!
//! Command 1 answers the frequency in Hz, 2 the current ticks, 5 sets an alarm relative to now
//! (its upcall 0 carries (now, expiration, 0)).
//!
//! ```ignore
//! capsule_rt::alarm::sleep_ms(500)?;
//! ```

use crate::completion::wait_for_upcall;
use crate::syscall::{self, ErrorCode};

pub const DRIVER: u32 = abi::Driver::Alarm.number();

/// Tick frequency of the alarm in Hz.
pub fn frequency() -> Result<u32, ErrorCode> {
    syscall::command(DRIVER, 1, 0, 0).to_u32()
}

/// Current tick count.
pub fn now() -> Result<u32, ErrorCode> {
    syscall::command(DRIVER, 2, 0, 0).to_u32()
}

/// Ticks in `ms` milliseconds at `frequency` Hz, without overflowing for long sleeps.
pub fn ms_to_ticks(ms: u32, frequency: u32) -> u32 {
    ((ms as u64 * frequency as u64) / 1000) as u32
}

/// Milliseconds in `ticks` at `frequency` Hz.
pub fn ticks_to_ms(ticks: u32, frequency: u32) -> u32 {
    if frequency == 0 {
        return 0;
    }
    ((ticks as u64 * 1000) / frequency as u64) as u32
}

/// Sleeps for `ms` milliseconds; returns the tick count the alarm fired at.
pub fn sleep_ms(ms: u32) -> Result<u32, ErrorCode> {
    let ticks = ms_to_ticks(ms, frequency()?).max(1);
    let values = wait_for_upcall(DRIVER, 0, || {
        syscall::command(DRIVER, 5, ticks, 0).to_result()
    })?;
    Ok(values[0])
}
