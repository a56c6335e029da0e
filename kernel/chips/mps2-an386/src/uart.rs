//! CMSDK APB UART (ARM DDI 0479): the console UART.

use cells::{OptionalCell, TakeCell};
use core::cell::Cell;
use kernel::debug::DebugWriter;
use kernel::hil::uart::{Receive, ReceiveClient, Transmit, TransmitClient};
use kernel::ErrorCode;
use registers::{bitfields, register_block, ReadWrite, StaticRef};

bitfields! {
    /// STATE register.
    pub mod State {
        /// Transmit buffer full.
        TX_FULL: 0, 1;
        /// Receive buffer full.
        RX_FULL: 1, 1;
        /// Transmit overrun (write 1 to clear).
        TX_OVERRUN: 2, 1;
        /// Receive overrun (write 1 to clear).
        RX_OVERRUN: 3, 1;
    }
}

bitfields! {
    /// CTRL register.
    pub mod Ctrl {
        /// Transmitter on.
        TX_ENABLE: 0, 1;
        /// Receiver on.
        RX_ENABLE: 1, 1;
        /// Transmit interrupt.
        TX_INT: 2, 1;
        /// Receive interrupt.
        RX_INT: 3, 1;
    }
}

bitfields! {
    /// INTSTATUS / INTCLEAR register.
    pub mod Int {
        /// Transmit interrupt.
        TX: 0, 1;
        /// Receive interrupt.
        RX: 1, 1;
    }
}

register_block! {
    /// CMSDK UART registers.
    pub UartRegisters {
        (0x00 => data: ReadWrite<u32>),
        (0x04 => state: ReadWrite<u32, State::Register>),
        (0x08 => ctrl: ReadWrite<u32, Ctrl::Register>),
        (0x0c => intstatus: ReadWrite<u32, Int::Register>),
        (0x10 => bauddiv: ReadWrite<u32>),
        @END = 0x14,
    }
}

/// One CMSDK UART.
pub struct CmsdkUart<'a> {
    regs: StaticRef<UartRegisters>,
    tx_client: OptionalCell<&'a dyn TransmitClient>,
    rx_client: OptionalCell<&'a dyn ReceiveClient>,
    tx_done: TakeCell<'static, [u8]>,
    tx_len: Cell<usize>,
}

impl<'a> CmsdkUart<'a> {
    /// The UART whose registers are at `base`.
    ///
    /// # Safety
    /// `base` must be the address of a CMSDK UART and only one `CmsdkUart` may use it.
    pub unsafe fn new(base: usize) -> Self {
        CmsdkUart {
            // SAFETY: forwarded from this function's contract.
            regs: unsafe { StaticRef::new(base) },
            tx_client: OptionalCell::empty(),
            rx_client: OptionalCell::empty(),
            tx_done: TakeCell::empty(),
            tx_len: Cell::new(0),
        }
    }

    /// Turns the UART on (`bauddiv` ignored by QEMU but set as on hardware: 25 MHz / 115200).
    pub fn init(&self) {
        self.regs.bauddiv.set(217);
        self.regs
            .ctrl
            .write(Ctrl::TX_ENABLE.set() + Ctrl::RX_ENABLE.set() + Ctrl::RX_INT.set());
    }

    fn put(&self, b: u8) {
        while self.regs.state.is_set(State::TX_FULL) {}
        self.regs.data.set(b as u32);
    }

    /// Bottom half of the RX interrupt.
    pub fn handle_rx_interrupt(&self) {
        self.regs.intstatus.write(Int::RX.set());
        while self.regs.state.is_set(State::RX_FULL) {
            let b = self.regs.data.get() as u8;
            self.rx_client.map(|c| c.received_byte(b));
        }
        if self.regs.state.is_set(State::RX_OVERRUN) {
            self.regs.state.write(State::RX_OVERRUN.set());
        }
    }

    /// True when a transmit completion waits.
    pub fn deferred_pending(&self) -> bool {
        self.tx_done.is_some()
    }

    /// Delivers a finished transmission.
    pub fn service_deferred(&self) {
        if let Some(buf) = self.tx_done.take() {
            let len = self.tx_len.get();
            self.tx_client
                .map(|c| c.transmitted_buffer(buf, len, Ok(())));
        }
    }
}

impl<'a> DebugWriter for CmsdkUart<'a> {
    fn write_bytes(&self, bytes: &[u8]) {
        for &b in bytes {
            self.put(b);
        }
    }
}

impl<'a> Transmit<'a> for CmsdkUart<'a> {
    fn set_transmit_client(&self, client: &'a dyn TransmitClient) {
        self.tx_client.set(client);
    }
    fn transmit_buffer(
        &self,
        buffer: &'static mut [u8],
        len: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if self.tx_done.is_some() {
            return Err((ErrorCode::Busy, buffer));
        }
        if len == 0 || len > buffer.len() {
            return Err((ErrorCode::Size, buffer));
        }
        for &b in buffer[..len].iter() {
            self.put(b);
        }
        self.tx_len.set(len);
        self.tx_done.replace(buffer);
        Ok(())
    }
}

impl<'a> Receive<'a> for CmsdkUart<'a> {
    fn set_receive_client(&self, client: &'a dyn ReceiveClient) {
        self.rx_client.set(client);
    }
    fn start_receive(&self) -> Result<(), ErrorCode> {
        self.regs
            .ctrl
            .modify(Ctrl::RX_ENABLE.set() + Ctrl::RX_INT.set());
        Ok(())
    }
}
