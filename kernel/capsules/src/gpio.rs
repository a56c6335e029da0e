//! GPIO (driver 0x4), with the command numbers, upcall and semantics of Tock's GPIO driver
//! (doc/syscalls/00004_gpio.md).
//!
//! ```ignore
//! let gpio = static_init!(GpioDriver, GpioDriver::new(&[&p1_01, &p1_02], ints, kernel));
//! ```
//!
//! System calls (pin numbers are the board's, 0 up):
//! - command 0: SuccessU32(number of pins); 10: the same.
//! - command 1 (pin): output; 2 set; 3 clear; 4 toggle. Success, or Failure(INVALID).
//! - command 5 (pin, pull 0 none / 1 up / 2 down): input. Failure(NOSUPPORT) for another pull.
//! - command 6 (pin): SuccessU32(level 0 or 1).
//! - command 7 (pin, 0 either edge / 1 rising / 2 falling): interrupts on; 8 (pin): off;
//!   9 (pin): disable the pin (neither input nor output).
//! - subscribe 0: upcall (pin, level, 0) to every process that subscribed, on each enabled edge.
//! - no allow; anything else: Failure(NOSUPPORT).

use kernel::hil::gpio::{Edge, InterruptClient, Interrupts, Pin, Pull};
use kernel::platform::SyscallDriver;
use kernel::process::ProcessId;
use kernel::syscall::CommandReturn;
use kernel::{ErrorCode, Kernel};

/// Driver number.
pub const DRIVER_NUM: u32 = 0x4;

/// The driver.
pub struct GpioDriver<'a> {
    pins: &'a [&'a dyn Pin],
    interrupts: &'a dyn Interrupts,
    kernel: &'static Kernel,
}

impl<'a> GpioDriver<'a> {
    /// Pins `pins`, edge interrupts through `interrupts` (numbered like `pins`).
    pub fn new(
        pins: &'a [&'a dyn Pin],
        interrupts: &'a dyn Interrupts,
        kernel: &'static Kernel,
    ) -> Self {
        GpioDriver {
            pins,
            interrupts,
            kernel,
        }
    }
}

impl<'a> InterruptClient for GpioDriver<'a> {
    fn fired(&self, index: usize) {
        let pin = match self.pins.get(index) {
            Some(p) => p,
            None => return,
        };
        let level = pin.read() as u32;
        for p in self.kernel.processes() {
            if let Some(pid) = p.id() {
                self.kernel
                    .schedule_upcall(pid, DRIVER_NUM, 0, [index as u32, level, 0]);
            }
        }
    }
}

impl<'a> SyscallDriver for GpioDriver<'a> {
    fn subscribe_number_ok(&self, number: u32) -> bool {
        number == 0
    }
    fn allow_number_ok(&self, _readonly: bool, _number: u32) -> bool {
        false
    }

    fn command(&self, command: u32, a: u32, b: u32, _pid: ProcessId) -> CommandReturn {
        if command == 0 || command == 10 {
            return CommandReturn::success_u32(self.pins.len() as u32);
        }
        let pin = match self.pins.get(a as usize) {
            Some(p) if command <= 9 => *p,
            Some(_) => return CommandReturn::failure(ErrorCode::NoSupport),
            None if command <= 9 => return CommandReturn::failure(ErrorCode::Invalid),
            None => return CommandReturn::failure(ErrorCode::NoSupport),
        };
        match command {
            1 => pin.make_output(),
            2 => pin.set(),
            3 => pin.clear(),
            4 => pin.toggle(),
            5 => match b {
                0 => pin.make_input(Pull::None),
                1 => pin.make_input(Pull::Up),
                2 => pin.make_input(Pull::Down),
                _ => return CommandReturn::failure(ErrorCode::NoSupport),
            },
            6 => return CommandReturn::success_u32(pin.read() as u32),
            7 => {
                let edge = match b {
                    0 => Edge::Either,
                    1 => Edge::Rising,
                    2 => Edge::Falling,
                    _ => return CommandReturn::failure(ErrorCode::NoSupport),
                };
                return CommandReturn::from_result(self.interrupts.enable(a as usize, edge));
            }
            8 => self.interrupts.disable(a as usize),
            _ => {
                self.interrupts.disable(a as usize);
                pin.deactivate()
            }
        }
        CommandReturn::success()
    }
}
