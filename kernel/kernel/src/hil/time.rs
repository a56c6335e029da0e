//! Time HIL: a free-running tick counter with one compare alarm.

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

#[cfg(test)]
mod tests {
    use super::expired;
    #[test]
    fn expiry_wraps() {
        assert!(!expired(100, 50, 120));
        assert!(expired(100, 50, 150));
        assert!(expired(u32::MAX - 10, 20, 10));
        assert!(!expired(u32::MAX - 10, 20, 5));
    }
}
