//! Console (driver 1): processes write text to the UART.
//!
//! System calls:
//! - command 0: driver exists (Success).
//! - command 1 (len): write `len` bytes (at most the allowed length) of the read-only allow 1
//!   buffer; upcall 1 (bytes written, 0, 0) when done. Failure(BUSY) while a write of this
//!   process is pending, Failure(RESERVE) without an allowed buffer.
//! - command 2: read: Failure(NOSUPPORT) on this board (the process console owns UART input).
//! - anything else: Failure(NOSUPPORT).

use cells::{OptionalCell, TakeCell};
use core::cell::Cell;
use kernel::grant::Grant;
use kernel::hil::uart::{Transmit, TransmitClient};
use kernel::platform::SyscallDriver;
use kernel::process::ProcessId;
use kernel::syscall::CommandReturn;
use kernel::{ErrorCode, Kernel};

/// Driver number.
pub const DRIVER_NUM: u32 = 1;

/// Per-process write state.
#[derive(Default)]
pub struct App {
    pending: bool,
    len: usize,
    written: usize,
}

/// The capsule.
pub struct Console<'a> {
    uart: &'a dyn Transmit<'a>,
    apps: Grant<App>,
    buffer: TakeCell<'static, [u8]>,
    current: OptionalCell<ProcessId>,
    chunk: Cell<usize>,
    kernel: &'static Kernel,
}

impl<'a> Console<'a> {
    /// A console writing through `uart` with `buffer` as the transmit buffer.
    pub fn new(
        uart: &'a dyn Transmit<'a>,
        buffer: &'static mut [u8],
        apps: Grant<App>,
        kernel: &'static Kernel,
    ) -> Self {
        Console {
            uart,
            apps,
            buffer: TakeCell::new(buffer),
            current: OptionalCell::empty(),
            chunk: Cell::new(0),
            kernel,
        }
    }

    /// Sends the next chunk of `pid`'s write; false when nothing was sent.
    fn send_chunk(&self, pid: ProcessId) -> bool {
        let buf = match self.buffer.take() {
            Some(b) => b,
            None => return false,
        };
        let kernel = self.kernel;
        let n = self
            .apps
            .enter(pid, |app| {
                kernel
                    .with_readonly(pid, DRIVER_NUM, 1, |src| {
                        let end = app.len.min(src.len());
                        let n = end.saturating_sub(app.written).min(buf.len());
                        buf[..n].copy_from_slice(&src[app.written..app.written + n]);
                        n
                    })
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        if n == 0 {
            self.buffer.replace(buf);
            return false;
        }
        self.chunk.set(n);
        match self.uart.transmit_buffer(buf, n) {
            Ok(()) => {
                self.current.set(pid);
                true
            }
            Err((_, b)) => {
                self.buffer.replace(b);
                false
            }
        }
    }

    fn finish(&self, pid: ProcessId) {
        let written = self.apps.enter(pid, |app| {
            app.pending = false;
            app.written
        });
        if let Ok(w) = written {
            self.kernel
                .schedule_upcall(pid, DRIVER_NUM, 1, [w as u32, 0, 0]);
        }
    }

    fn start_next(&self) {
        let mut next = None;
        self.apps.each(|pid, app| {
            if app.pending && next.is_none() {
                next = Some(pid);
            }
        });
        if let Some(pid) = next {
            if !self.send_chunk(pid) {
                self.finish(pid);
            }
        }
    }
}

impl<'a> TransmitClient for Console<'a> {
    fn transmitted_buffer(
        &self,
        buffer: &'static mut [u8],
        tx_len: usize,
        _rval: Result<(), ErrorCode>,
    ) {
        self.buffer.replace(buffer);
        if let Some(pid) = self.current.take() {
            let more = self
                .apps
                .enter(pid, |app| {
                    app.written += tx_len;
                    app.written < app.len
                })
                .unwrap_or(false);
            if !(more && self.send_chunk(pid)) {
                self.finish(pid);
                self.start_next();
            }
        }
    }
}

impl<'a> SyscallDriver for Console<'a> {
    fn subscribe_number_ok(&self, number: u32) -> bool {
        number == 1
    }

    fn command(&self, command: u32, arg1: u32, _arg2: u32, pid: ProcessId) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => {
                let allowed = self
                    .kernel
                    .with_readonly(pid, DRIVER_NUM, 1, |b| b.len())
                    .unwrap_or(0);
                if allowed == 0 {
                    return CommandReturn::failure(ErrorCode::Reserve);
                }
                let r = self.apps.enter(pid, |app| {
                    if app.pending {
                        return Err(ErrorCode::Busy);
                    }
                    app.pending = true;
                    app.len = (arg1 as usize).min(allowed);
                    app.written = 0;
                    Ok(())
                });
                match r {
                    Ok(Ok(())) => {
                        if self.current.is_none() && !self.send_chunk(pid) {
                            // Busy UART: the pending write goes out after the current one.
                            if self.buffer.is_some() {
                                self.finish(pid);
                            }
                        }
                        CommandReturn::success()
                    }
                    Ok(Err(e)) | Err(e) => CommandReturn::failure(e),
                }
            }
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
    fn allow_number_ok(&self, readonly: bool, number: u32) -> bool {
        readonly && number == 1
    }
}
