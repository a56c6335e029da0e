//! Console output through the console driver (driver 1): `print!` and `println!`.
//!
//! A write lends the bytes with read-only allow 1, subscribes to upcall 1 (write done), issues
//! command 1 (putstr, length) and waits. Formatted output is assembled in a 128-byte stack
//! buffer and flushed whenever it fills, so each line up to that length reaches the UART in one
//! write and lines of different processes do not interleave mid-line.
//!
//! ```ignore
//! capsule_rt::println!("rng: {} bytes", n);
//! ```

use crate::completion::wait_for_upcall;
use crate::syscall::{self, ErrorCode};
use core::fmt;

pub const DRIVER: u32 = abi::Driver::Console.number();

/// Writes `bytes` to the console and waits until the driver reports them written.
pub fn write_bytes(bytes: &[u8]) -> Result<(), ErrorCode> {
    let mut rest = bytes;
    while !rest.is_empty() {
        // SAFETY: `rest` stays alive and unmodified until the allow is withdrawn below.
        unsafe { syscall::allow_ro(DRIVER, 1, rest.as_ptr(), rest.len())? };
        let done = wait_for_upcall(DRIVER, 1, || {
            syscall::command(DRIVER, 1, rest.len() as u32, 0).to_result()
        });
        // SAFETY: withdrawing the allow lends nothing.
        let _ = unsafe { syscall::allow_ro(DRIVER, 1, core::ptr::null(), 0) };
        let written = (done?[0] as usize).min(rest.len());
        if written == 0 {
            return Err(ErrorCode::Fail);
        }
        rest = &rest[written..];
    }
    Ok(())
}

struct LineBuffer {
    bytes: [u8; 128],
    len: usize,
    error: Option<ErrorCode>,
}

impl LineBuffer {
    fn flush(&mut self) {
        if self.len > 0 && self.error.is_none() {
            if let Err(e) = write_bytes(&self.bytes[..self.len]) {
                self.error = Some(e);
            }
        }
        self.len = 0;
    }
}

impl fmt::Write for LineBuffer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.bytes.len() {
                self.flush();
            }
            self.bytes[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

/// Formats `args` and writes them to the console.
pub fn write_fmt(args: fmt::Arguments) -> Result<(), ErrorCode> {
    let mut buffer = LineBuffer {
        bytes: [0; 128],
        len: 0,
        error: None,
    };
    let _ = fmt::write(&mut buffer, args);
    buffer.flush();
    buffer.error.map_or(Ok(()), Err)
}

/// Prints to the console (errors are dropped: there is nowhere else to report them).
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        let _ = $crate::console::write_fmt(format_args!($($arg)*));
    }};
}

/// Prints a line to the console.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => {{
        let _ = $crate::console::write_fmt(format_args!("{}\n", format_args!($($arg)*)));
    }};
}
