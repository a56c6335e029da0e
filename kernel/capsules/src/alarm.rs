//! Alarm driver (driver 0): per-process timers on one virtual alarm.
//!
//! Usage (board): `AlarmDriver::new(&virtual_alarm, kernel.create_grant(), kernel)`.
//!
//! System calls:
//! - command 0: driver exists (Success).
//! - command 1: tick frequency in Hz (SuccessU32).
//! - command 2: current tick count (SuccessU32).
//! - command 3: stop this process's alarm (Success, or Failure(ALREADY) when none is set).
//! - command 5 (dt): fire `dt` ticks from now; returns the absolute expiry (SuccessU32).
//! - command 6 (reference, dt): fire at `reference + dt`; returns the expiry (SuccessU32).
//! - subscribe 0: upcall(now, expiry, 0) when the alarm fires.
//! - anything else: Failure(NOSUPPORT).

use kernel::grant::Grant;
use kernel::hil::time::{self, Alarm, AlarmClient};
use kernel::platform::SyscallDriver;
use kernel::process::ProcessId;
use kernel::syscall::CommandReturn;
use kernel::{ErrorCode, Kernel};

/// Driver number.
pub const DRIVER_NUM: u32 = 0;

/// Per-process alarm state.
#[derive(Default)]
pub struct AlarmData {
    armed: bool,
    reference: u32,
    dt: u32,
}

/// The driver.
pub struct AlarmDriver<'a> {
    alarm: &'a dyn Alarm<'a>,
    data: Grant<AlarmData>,
    kernel: &'static Kernel,
}

impl<'a> AlarmDriver<'a> {
    /// A driver on `alarm`.
    pub fn new(alarm: &'a dyn Alarm<'a>, data: Grant<AlarmData>, kernel: &'static Kernel) -> Self {
        AlarmDriver {
            alarm,
            data,
            kernel,
        }
    }

    fn rearm(&self) {
        let now = self.alarm.now();
        let mut best: Option<u32> = None;
        self.data.each(|_, d| {
            if d.armed {
                let left = if time::expired(d.reference, d.dt, now) {
                    0
                } else {
                    d.reference.wrapping_add(d.dt).wrapping_sub(now)
                };
                best = Some(best.map_or(left, |b| b.min(left)));
            }
        });
        match best {
            Some(left) => self.alarm.set_alarm(now, left),
            None => self.alarm.disarm(),
        }
    }
}

impl<'a> AlarmClient for AlarmDriver<'a> {
    fn alarm(&self) {
        let now = self.alarm.now();
        let kernel = self.kernel;
        self.data.each(|pid, d| {
            if d.armed && time::expired(d.reference, d.dt, now) {
                d.armed = false;
                kernel.schedule_upcall(
                    pid,
                    DRIVER_NUM,
                    0,
                    [now, d.reference.wrapping_add(d.dt), 0],
                );
            }
        });
        self.rearm();
    }
}

impl<'a> SyscallDriver for AlarmDriver<'a> {
    fn subscribe_number_ok(&self, number: u32) -> bool {
        number == 0
    }

    fn command(&self, command: u32, arg1: u32, arg2: u32, pid: ProcessId) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => CommandReturn::success_u32(self.alarm.frequency()),
            2 => CommandReturn::success_u32(self.alarm.now()),
            3 => {
                let r = self.data.enter(pid, |d| {
                    let was = d.armed;
                    d.armed = false;
                    was
                });
                self.rearm();
                match r {
                    Ok(true) => CommandReturn::success(),
                    Ok(false) => CommandReturn::failure(ErrorCode::Already),
                    Err(e) => CommandReturn::failure(e),
                }
            }
            5 | 6 => {
                let (reference, dt) = if command == 5 {
                    (self.alarm.now(), arg1)
                } else {
                    (arg1, arg2)
                };
                let r = self.data.enter(pid, |d| {
                    d.armed = true;
                    d.reference = reference;
                    d.dt = dt;
                });
                match r {
                    Ok(()) => {
                        self.rearm();
                        CommandReturn::success_u32(reference.wrapping_add(dt))
                    }
                    Err(e) => CommandReturn::failure(e),
                }
            }
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
