//! Flash HIL: reading is immediate, erasing and writing are split-phase.
//!
//! Flash is memory-mapped, so a read is a copy and returns at once. An erase or a write takes
//! milliseconds; it is started by the call and completed through the client, never from
//! inside the call that started it (the caller may hold a buffer taken from a cell). One
//! operation runs at a time: a second start while one runs is `Busy`.
//!
//! Addresses are byte addresses from the start of the flash array. `page_size` is the erase
//! unit; a write covers whole aligned 32-bit words and can only turn 1 bits into 0 bits (the
//! page must be erased to get 1 bits back), which drivers check before touching the hardware.

use crate::ErrorCode;

/// Told when an erase or a write is done.
pub trait Client {
    /// The page erase started by `erase_page` finished.
    fn erase_done(&self, result: Result<(), ErrorCode>);
    /// The write started by `write` finished; the buffer comes back.
    fn write_done(&self, buffer: &'static mut [u8], result: Result<(), ErrorCode>);
}

/// A flash array.
pub trait Flash<'a> {
    /// Registers the client.
    fn set_flash_client(&self, client: &'a dyn Client);
    /// Bytes of flash.
    fn size(&self) -> usize;
    /// The erase unit in bytes.
    fn page_size(&self) -> usize;
    /// Copies `buf.len()` bytes at `address` into `buf`.
    fn read(&self, address: usize, buf: &mut [u8]) -> Result<(), ErrorCode>;
    /// Starts erasing the page at `address` (page aligned) to all 0xFF.
    fn erase_page(&self, address: usize) -> Result<(), ErrorCode>;
    /// Starts writing `buffer[..len]` at `address` (both word aligned); on error the buffer
    /// comes straight back.
    fn write(
        &self,
        address: usize,
        buffer: &'static mut [u8],
        len: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])>;
}
