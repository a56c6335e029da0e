//! The paper's DMA channel: ownership of the buffer moves to the hardware while it works.
//!
//! The channel holds the buffer in a `TakeCell` while a transfer runs, so no capsule can touch
//! it until the transfer completes and the buffer is handed back through the client.
//!
//! ```
//! use kernel::dma::{DmaChannel, DmaClient, DmaEngine};
//! struct Copy;
//! impl DmaEngine for Copy {
//!     fn start(&self, _ptr: *mut u8, _len: usize) {}
//! }
//! let engine = Copy;
//! let ch = DmaChannel::new(&engine);
//! ch.enable();
//! let buf: &'static mut [u8] = Box::leak(Box::new([0u8; 8]));
//! assert!(ch.do_transfer(buf).is_ok());
//! assert!(ch.in_progress());
//! ```

use crate::ErrorCode;
use cells::{OptionalCell, TakeCell};
use core::cell::Cell;

/// Told when a transfer ends; gets the buffer back.
pub trait DmaClient {
    /// The transfer over `buffer` is complete.
    fn transfer_done(&self, buffer: &'static mut [u8]);
}

/// The hardware side: starts a transfer over memory the channel owns for its duration.
pub trait DmaEngine {
    /// Begins moving `len` bytes at `ptr`; the channel guarantees the memory stays valid and
    /// untouched by software until `DmaChannel::transfer_complete` is called.
    fn start(&self, ptr: *mut u8, len: usize);
}

/// One DMA channel, as in the paper: `enabled: Cell<bool>`, `buffer: TakeCell<&'static mut [u8]>`.
pub struct DmaChannel<'a> {
    engine: &'a dyn DmaEngine,
    enabled: Cell<bool>,
    buffer: TakeCell<'static, [u8]>,
    client: OptionalCell<&'a dyn DmaClient>,
}

impl<'a> DmaChannel<'a> {
    /// A disabled channel over `engine`.
    pub fn new(engine: &'a dyn DmaEngine) -> Self {
        DmaChannel {
            engine,
            enabled: Cell::new(false),
            buffer: TakeCell::empty(),
            client: OptionalCell::empty(),
        }
    }
    /// Registers the client.
    pub fn set_client(&self, client: &'a dyn DmaClient) {
        self.client.set(client);
    }
    /// Turns the channel on.
    pub fn enable(&self) {
        self.enabled.set(true);
    }
    /// Turns the channel off (a running transfer still completes).
    pub fn disable(&self) {
        self.enabled.set(false);
    }
    /// True while the hardware owns a buffer.
    pub fn in_progress(&self) -> bool {
        self.buffer.is_some()
    }
    /// Hands `buf` to the hardware; refused (buffer returned) if disabled or busy.
    pub fn do_transfer(
        &self,
        buf: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if !self.enabled.get() {
            return Err((ErrorCode::Off, buf));
        }
        if self.buffer.is_some() {
            return Err((ErrorCode::Busy, buf));
        }
        self.engine.start(buf.as_mut_ptr(), buf.len());
        self.buffer.replace(buf);
        Ok(())
    }
    /// Called by the chip's interrupt path when the hardware finishes.
    pub fn transfer_complete(&self) {
        if let Some(buf) = self.buffer.take() {
            match self.client.get() {
                Some(c) => c.transfer_done(buf),
                None => self.buffer.replace(buf).map_or((), |_| ()),
            }
        }
    }
}
