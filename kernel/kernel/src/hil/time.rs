//! Time HIL: a free-running tick counter with one compare alarm.
//!
//! `AlarmState` is the bookkeeping every alarm implementation keeps (the hardware alarms of
//! the chip crates and the virtual alarms), so the wrap-aware expiry arithmetic is written once.

use core::cell::Cell;

/// Told when the alarm fires.
pub trait AlarmClient {
    /// The alarm set by `set_alarm` has expired.
    fn alarm(&self);
}

/// A 32-bit wrapping tick counter.
pub trait Time {
    /// Ticks per second.
    fn frequency(&self) -> u32;
    /// The current tick count (wraps at 2^32).
    fn now(&self) -> u32;
}

/// A counter with one alarm.
pub trait Alarm<'a>: Time {
    /// Registers the client.
    fn set_alarm_client(&self, client: &'a dyn AlarmClient);
    /// Fires at `reference + dt` (wrapping); fires at once if that time has passed.
    fn set_alarm(&self, reference: u32, dt: u32);
    /// The time the alarm is set for.
    fn get_alarm(&self) -> u32;
    /// Cancels the alarm.
    fn disarm(&self);
    /// True while an alarm is pending.
    fn is_armed(&self) -> bool;
}

/// True when `now` is at or past `reference + dt`, given that `reference` was in the past when
/// the alarm was set (wrapping arithmetic keeps this right across counter overflow).
pub fn expired(reference: u32, dt: u32, now: u32) -> bool {
    now.wrapping_sub(reference) >= dt
}

/// Ticks from `now` until `reference + dt`; 0 once that time has passed (see `expired`).
pub fn remaining(reference: u32, dt: u32, now: u32) -> u32 {
    if expired(reference, dt, now) {
        0
    } else {
        reference.wrapping_add(dt).wrapping_sub(now)
    }
}

/// An alarm's setting: `reference + dt` and whether it is armed. Implementations of `Alarm`
/// keep one and forward `set_alarm` (`arm`), `get_alarm` (`end`), `disarm` and `is_armed`.
pub struct AlarmState {
    reference: Cell<u32>,
    dt: Cell<u32>,
    armed: Cell<bool>,
}

impl AlarmState {
    /// Disarmed, set for time 0.
    pub const fn new() -> Self {
        AlarmState {
            reference: Cell::new(0),
            dt: Cell::new(0),
            armed: Cell::new(false),
        }
    }
    /// Arms for `reference + dt`.
    pub fn arm(&self, reference: u32, dt: u32) {
        self.reference.set(reference);
        self.dt.set(dt);
        self.armed.set(true);
    }
    /// Disarms (the setting is kept).
    pub fn disarm(&self) {
        self.armed.set(false);
    }
    /// True while armed.
    pub fn is_armed(&self) -> bool {
        self.armed.get()
    }
    /// The time set: `reference + dt` (wrapping).
    pub fn end(&self) -> u32 {
        self.reference.get().wrapping_add(self.dt.get())
    }
    /// True when the time set has passed at `now` (armed or not).
    pub fn expired(&self, now: u32) -> bool {
        expired(self.reference.get(), self.dt.get(), now)
    }
    /// Ticks from `now` until the time set; 0 once it has passed.
    pub fn remaining(&self, now: u32) -> u32 {
        remaining(self.reference.get(), self.dt.get(), now)
    }
}

impl Default for AlarmState {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::{expired, remaining, AlarmState};
    #[test]
    fn expiry_wraps() {
        assert!(!expired(100, 50, 120));
        assert!(expired(100, 50, 150));
        assert!(expired(u32::MAX - 10, 20, 10));
        assert!(!expired(u32::MAX - 10, 20, 5));
    }
    #[test]
    fn remaining_wraps_and_stops_at_zero() {
        assert_eq!(remaining(100, 50, 120), 30);
        assert_eq!(remaining(100, 50, 150), 0);
        assert_eq!(remaining(100, 50, 400), 0);
        assert_eq!(remaining(u32::MAX - 10, 20, 5), 4);
        assert_eq!(remaining(u32::MAX - 10, 20, u32::MAX), 10);
    }
    #[test]
    fn state_arms_and_disarms() {
        let s = AlarmState::new();
        assert!(!s.is_armed());
        s.arm(u32::MAX - 1, 4);
        assert!(s.is_armed());
        assert_eq!(s.end(), 2);
        assert_eq!(s.remaining(u32::MAX), 3);
        assert!(!s.expired(1));
        assert!(s.expired(2));
        s.disarm();
        assert!(!s.is_armed());
        assert_eq!(s.end(), 2);
    }
}
