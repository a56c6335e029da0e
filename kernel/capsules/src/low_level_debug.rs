//! Low-level debug (driver 8): a process prints status codes and numbers on the console.
//!
//! System calls:
//! - command 0: driver exists (Success).
//! - command 1 (code): print an alert code ("panic" = 1, "wrong location" = 2).
//! - command 2 (a): print one number. command 3 (a, b): print two numbers.
//! - anything else: Failure(NOSUPPORT).

use kernel::platform::SyscallDriver;
use kernel::process::ProcessId;
use kernel::syscall::CommandReturn;
use kernel::{kprintln, ErrorCode, Kernel};

/// Driver number.
pub const DRIVER_NUM: u32 = 8;

/// The driver.
pub struct LowLevelDebug {
    kernel: &'static Kernel,
}

impl LowLevelDebug {
    /// A driver printing through the kernel console.
    pub fn new(kernel: &'static Kernel) -> Self {
        LowLevelDebug { kernel }
    }
}

impl SyscallDriver for LowLevelDebug {
    fn subscribe_number_ok(&self, _number: u32) -> bool {
        false
    }

    fn command(&self, command: u32, a: u32, b: u32, pid: ProcessId) -> CommandReturn {
        let name = self.kernel.process(pid).map_or("?", |p| p.name());
        match command {
            0 => CommandReturn::success(),
            1 => {
                let what = match a {
                    1 => "panic",
                    2 => "wrong location",
                    _ => "unknown",
                };
                kprintln!(
                    "LowLevelDebug: App {} status code {:#x} ({})",
                    name,
                    a,
                    what
                );
                CommandReturn::success()
            }
            2 => {
                kprintln!("LowLevelDebug: App {} prints {:#x}", name, a);
                CommandReturn::success()
            }
            3 => {
                kprintln!("LowLevelDebug: App {} prints {:#x} {:#x}", name, a, b);
                CommandReturn::success()
            }
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
