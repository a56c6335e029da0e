//! Kernel console output: a synchronous writer the board installs, and the `kprintln!` macro.
//!
//! Kernel messages (boot banner, process loading, fault reports) must appear even when the
//! asynchronous console path is busy or broken, so they go through a blocking writer.

use cells::StaticCell;
use core::fmt;

/// A blocking byte sink (the board's UART).
pub trait DebugWriter {
    /// Writes all bytes before returning.
    fn write_bytes(&self, bytes: &[u8]);
}

static WRITER: StaticCell<Option<&'static dyn DebugWriter>> = StaticCell::new(None);

/// Installs the writer used by `kprint!`.
pub fn set_writer(w: &'static dyn DebugWriter) {
    WRITER.set(Some(w));
}

/// The formatter behind `kprint!`; writes nowhere until a writer is installed.
pub struct KernelWriter;

impl fmt::Write for KernelWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if let Some(w) = WRITER.get() {
            w.write_bytes(s.as_bytes());
        }
        Ok(())
    }
}

/// Writes formatted text to the kernel console.
#[macro_export]
macro_rules! kprint {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = write!($crate::debug::KernelWriter, $($arg)*);
    }};
}

/// Writes formatted text and a CR LF to the kernel console.
#[macro_export]
macro_rules! kprintln {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = write!($crate::debug::KernelWriter, $($arg)*);
        let _ = $crate::debug::KernelWriter.write_str("\r\n");
    }};
}
