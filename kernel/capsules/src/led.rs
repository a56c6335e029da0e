//! LEDs (driver 0x2), with the command numbers and semantics of Tock's LED driver
//! (doc/syscalls/00002_leds.md).
//!
//! ```ignore
//! let leds = static_init!(LedDriver, LedDriver::new(&[(&led1, true), (&led2, true)]));
//! ```
//!
//! System calls:
//! - command 0: SuccessU32(number of LEDs).
//! - command 1 (i): turn LED i on; 2 (i): off; 3 (i): toggle. Success, or Failure(INVALID)
//!   for an index past the last LED.
//! - no subscribe, no allow; anything else: Failure(NOSUPPORT).

use kernel::hil::gpio::Pin;
use kernel::platform::SyscallDriver;
use kernel::process::ProcessId;
use kernel::syscall::CommandReturn;
use kernel::ErrorCode;

/// Driver number.
pub const DRIVER_NUM: u32 = 0x2;

/// The driver: LEDs by index, each a pin and whether it lights when driven low.
pub struct LedDriver<'a> {
    leds: &'a [(&'a dyn Pin, bool)],
}

impl<'a> LedDriver<'a> {
    /// LEDs `leds` (pin, active low), all made outputs and turned off.
    pub fn new(leds: &'a [(&'a dyn Pin, bool)]) -> Self {
        let d = LedDriver { leds };
        for (i, led) in leds.iter().enumerate() {
            d.set(i, false);
            led.0.make_output();
        }
        d
    }

    fn set(&self, i: usize, on: bool) {
        let (pin, active_low) = self.leds[i];
        if on != active_low {
            pin.set()
        } else {
            pin.clear()
        }
    }
}

impl<'a> SyscallDriver for LedDriver<'a> {
    fn subscribe_number_ok(&self, _number: u32) -> bool {
        false
    }
    fn allow_number_ok(&self, _readonly: bool, _number: u32) -> bool {
        false
    }

    fn command(&self, command: u32, index: u32, _b: u32, _pid: ProcessId) -> CommandReturn {
        let i = index as usize;
        match command {
            0 => CommandReturn::success_u32(self.leds.len() as u32),
            1..=3 if i >= self.leds.len() => CommandReturn::failure(ErrorCode::Invalid),
            1 => {
                self.set(i, true);
                CommandReturn::success()
            }
            2 => {
                self.set(i, false);
                CommandReturn::success()
            }
            3 => {
                self.leds[i].0.toggle();
                CommandReturn::success()
            }
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
