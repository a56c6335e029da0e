//! Ambient temperature (driver 0x60000), with the command numbers, upcall and semantics of Tock's
//! temperature driver (doc/syscalls/60000_ambient_temperature.md).
//!
//! ```ignore
//! let temp = static_init!(TemperatureSensor, TemperatureSensor::new(&chip_temp, grant, kernel));
//! chip_temp.set_client(temp);
//! ```
//!
//! System calls:
//! - command 0: driver exists (Success).
//! - command 1: start a reading. Success; Failure(BUSY) if this process already waits for one.
//! - subscribe 0: upcall (temperature in hundredths of a degree Celsius, 0, 0).
//! - no allow; anything else: Failure(NOSUPPORT).
//!
//! Several processes asking at once share one reading of the sensor.

use core::cell::Cell;
use kernel::grant::Grant;
use kernel::hil::sensors::{TemperatureClient, TemperatureDriver};
use kernel::platform::SyscallDriver;
use kernel::process::ProcessId;
use kernel::syscall::CommandReturn;
use kernel::{ErrorCode, Kernel};

/// Driver number.
pub const DRIVER_NUM: u32 = 0x60000;

/// Per process: waiting for a reading.
#[derive(Default)]
pub struct App {
    waiting: bool,
}

/// The driver.
pub struct TemperatureSensor<'a> {
    sensor: &'a dyn TemperatureDriver<'a>,
    apps: Grant<App>,
    kernel: &'static Kernel,
    busy: Cell<bool>,
}

impl<'a> TemperatureSensor<'a> {
    /// A driver reading `sensor`.
    pub fn new(
        sensor: &'a dyn TemperatureDriver<'a>,
        apps: Grant<App>,
        kernel: &'static Kernel,
    ) -> Self {
        TemperatureSensor {
            sensor,
            apps,
            kernel,
            busy: Cell::new(false),
        }
    }
}

impl<'a> TemperatureClient for TemperatureSensor<'a> {
    fn callback(&self, value: Result<i32, ErrorCode>) {
        self.busy.set(false);
        let kernel = self.kernel;
        // A failed reading leaves the processes waiting; the next command starts another.
        if let Ok(centi) = value {
            self.apps.each(|pid, app| {
                if app.waiting {
                    app.waiting = false;
                    kernel.schedule_upcall(pid, DRIVER_NUM, 0, [centi as u32, 0, 0]);
                }
            });
        }
    }
}

impl<'a> SyscallDriver for TemperatureSensor<'a> {
    fn subscribe_number_ok(&self, number: u32) -> bool {
        number == 0
    }
    fn allow_number_ok(&self, _readonly: bool, _number: u32) -> bool {
        false
    }

    fn command(&self, command: u32, _a: u32, _b: u32, pid: ProcessId) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => {
                let r = self.apps.enter(pid, |app| {
                    if app.waiting {
                        Err(ErrorCode::Busy)
                    } else {
                        app.waiting = true;
                        Ok(())
                    }
                });
                match r {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) | Err(e) => return CommandReturn::failure(e),
                }
                if !self.busy.get() {
                    if let Err(e) = self.sensor.read_temperature() {
                        let _ = self.apps.enter(pid, |app| app.waiting = false);
                        return CommandReturn::failure(e);
                    }
                    self.busy.set(true);
                }
                CommandReturn::success()
            }
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
