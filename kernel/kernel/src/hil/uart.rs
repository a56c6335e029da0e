//! UART HIL: split-phase transmit and receive of byte buffers.

use crate::ErrorCode;

/// Told when a transmission finishes; gets its buffer back.
pub trait TransmitClient {
    /// `tx_len` bytes of `buffer` were sent (or `rval` says why not).
    fn transmitted_buffer(
        &self,
        buffer: &'static mut [u8],
        tx_len: usize,
        rval: Result<(), ErrorCode>,
    );
}

/// Told about received bytes.
pub trait ReceiveClient {
    /// One byte arrived.
    fn received_byte(&self, byte: u8);
}

/// Sends bytes.
pub trait Transmit<'a> {
    /// Registers the client.
    fn set_transmit_client(&self, client: &'a dyn TransmitClient);
    /// Starts sending `len` bytes of `buffer`; on error the buffer comes straight back.
    fn transmit_buffer(
        &self,
        buffer: &'static mut [u8],
        len: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])>;
}

/// Receives bytes, one callback per byte.
pub trait Receive<'a> {
    /// Registers the client.
    fn set_receive_client(&self, client: &'a dyn ReceiveClient);
    /// Starts (or keeps) reception enabled.
    fn start_receive(&self) -> Result<(), ErrorCode>;
}

/// Changes the line's settings.
pub trait Configure {
    /// Switches to `baud` bits per second; `Invalid` for a rate the hardware does not offer.
    fn set_baud_rate(&self, baud: u32) -> Result<(), ErrorCode>;
}
