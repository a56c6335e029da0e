//! UARTE: the UART with EasyDMA, as the console (115200 8N1, no flow control).
//!
//! Facts from the nRF52840 Product Specification, section "UARTE - Universal asynchronous
//! receiver/transmitter with EasyDMA": ENABLE = 8 turns the UARTE on; PSEL.TXD/PSEL.RXD hold a
//! pin (bits 0-4), a port (bit 5) and CONNECT (bit 31, 0 = connected); BAUDRATE 0x01D7E000 is
//! 115200 baud; CONFIG 0 is no parity, one stop bit, no flow control. STARTTX sends TXD.MAXCNT
//! bytes from TXD.PTR and ends with ENDTX; STARTRX fills RXD.MAXCNT bytes at RXD.PTR and ends
//! with ENDRX, RXD.AMOUNT telling how many arrived. Bytes that arrive between an ENDRX and the
//! next STARTRX wait in the receiver's FIFO. EasyDMA only reaches Data RAM, so every buffer
//! handed to it lives in RAM: the kernel's blocking debug output is copied through a RAM
//! buffer first. MAXCNT is 16 bits wide on the nRF52840.
//!
//! Ownership follows the kernel's `DmaChannel`: a transmit or receive buffer belongs to the
//! channel (a `TakeCell`) from the task that starts the transfer until the END event hands
//! it back. Transmit and receive each have their own channel and engine (`UarteTx`,
//! `UarteRx`), wired by `Uarte::attach`. Reception runs one byte at a time: on ENDRX the
//! driver restarts the receiver first and then gives the byte to the client, so bytes typed
//! quickly wait in the FIFO rather than being lost.

use cells::{OptionalCell, TakeCell};
use core::cell::Cell;
use kernel::debug::DebugWriter;
use kernel::dma::{DmaChannel, DmaClient, DmaEngine};
use kernel::hil::uart::{Configure, Receive, ReceiveClient, Transmit, TransmitClient};
use kernel::ErrorCode;
use registers::{bitfields, register_block, ReadOnly, ReadWrite, StaticRef, WriteOnly};

bitfields! {
    /// INTEN/INTENSET/INTENCLR (bit n is the event at 0x100 + 4n).
    pub mod Int {
        /// Data received in RXD (one byte).
        RXDRDY: 2, 1;
        /// Receive buffer filled.
        ENDRX: 4, 1;
        /// Transmit buffer sent.
        ENDTX: 8, 1;
        /// Framing, parity, overrun or break error.
        ERROR: 9, 1;
        /// Receiver stopped.
        RXTO: 17, 1;
    }
}

bitfields! {
    /// PSEL.* pin selection.
    pub mod Psel {
        /// Pin number.
        PIN: 0, 5;
        /// Port number.
        PORT: 5, 1;
        /// 1 = disconnected.
        DISCONNECT: 31, 1;
    }
}

/// ENABLE value that turns on the UARTE (with EasyDMA).
pub const ENABLE_UARTE: u32 = 8;
/// BAUDRATE value for 115200 baud.
pub const BAUD_115200: u32 = 0x01D7_E000;
/// BAUDRATE values of the UARTE for the rates the PS lists (nRF52840 PS, UARTE register
/// BAUDRATE; the repository's SVD carries the same table). 115200 keeps the value the console has
/// always used (`BAUD_115200`, the legacy UART's entry, 0.5% from the UARTE's 0x01D60000).
pub const BAUD_RATES: [(u32, u32); 18] = [
    (1200, 0x0004_F000),
    (2400, 0x0009_D000),
    (4800, 0x0013_B000),
    (9600, 0x0027_5000),
    (14400, 0x003A_F000),
    (19200, 0x004E_A000),
    (28800, 0x0075_C000),
    (31250, 0x0080_0000),
    (38400, 0x009D_0000),
    (56000, 0x00E5_0000),
    (57600, 0x00EB_0000),
    (76800, 0x013A_9000),
    (115200, BAUD_115200),
    (230400, 0x03B0_0000),
    (250000, 0x0400_0000),
    (460800, 0x0740_0000),
    (921600, 0x0F00_0000),
    (1000000, 0x1000_0000),
];

/// Largest MAXCNT (16-bit field).
pub const MAX_DMA: usize = 0xffff;

register_block! {
    /// UARTE registers.
    pub UarteRegisters {
        (0x000 => tasks_startrx: WriteOnly<u32>),
        (0x004 => tasks_stoprx: WriteOnly<u32>),
        (0x008 => tasks_starttx: WriteOnly<u32>),
        (0x00c => tasks_stoptx: WriteOnly<u32>),
        (0x010 => _reserved0: [u32; 7]),
        (0x02c => tasks_flushrx: WriteOnly<u32>),
        (0x030 => _reserved1: [u32; 52]),
        (0x100 => events_cts: ReadWrite<u32>),
        (0x104 => events_ncts: ReadWrite<u32>),
        (0x108 => events_rxdrdy: ReadWrite<u32>),
        (0x10c => _reserved2: [u32; 1]),
        (0x110 => events_endrx: ReadWrite<u32>),
        (0x114 => _reserved3: [u32; 2]),
        (0x11c => events_txdrdy: ReadWrite<u32>),
        (0x120 => events_endtx: ReadWrite<u32>),
        (0x124 => events_error: ReadWrite<u32>),
        (0x128 => _reserved4: [u32; 7]),
        (0x144 => events_rxto: ReadWrite<u32>),
        (0x148 => _reserved5: [u32; 1]),
        (0x14c => events_rxstarted: ReadWrite<u32>),
        (0x150 => events_txstarted: ReadWrite<u32>),
        (0x154 => _reserved6: [u32; 1]),
        (0x158 => events_txstopped: ReadWrite<u32>),
        (0x15c => _reserved7: [u32; 41]),
        (0x200 => shorts: ReadWrite<u32>),
        (0x204 => _reserved8: [u32; 63]),
        (0x300 => inten: ReadWrite<u32, Int::Register>),
        (0x304 => intenset: ReadWrite<u32, Int::Register>),
        (0x308 => intenclr: ReadWrite<u32, Int::Register>),
        (0x30c => _reserved9: [u32; 93]),
        (0x480 => errorsrc: ReadWrite<u32>),
        (0x484 => _reserved10: [u32; 31]),
        (0x500 => enable: ReadWrite<u32>),
        (0x504 => _reserved11: [u32; 1]),
        (0x508 => psel_rts: ReadWrite<u32, Psel::Register>),
        (0x50c => psel_txd: ReadWrite<u32, Psel::Register>),
        (0x510 => psel_cts: ReadWrite<u32, Psel::Register>),
        (0x514 => psel_rxd: ReadWrite<u32, Psel::Register>),
        (0x518 => _reserved12: [u32; 3]),
        (0x524 => baudrate: ReadWrite<u32>),
        (0x528 => _reserved13: [u32; 3]),
        (0x534 => rxd_ptr: ReadWrite<u32>),
        (0x538 => rxd_maxcnt: ReadWrite<u32>),
        (0x53c => rxd_amount: ReadOnly<u32>),
        (0x540 => _reserved14: [u32; 1]),
        (0x544 => txd_ptr: ReadWrite<u32>),
        (0x548 => txd_maxcnt: ReadWrite<u32>),
        (0x54c => txd_amount: ReadOnly<u32>),
        (0x550 => _reserved15: [u32; 7]),
        (0x56c => config: ReadWrite<u32>),
        @END = 0x570,
    }
}

/// PSEL value connecting `port`.`pin`.
pub const fn psel(port: u8, pin: u8) -> u32 {
    Psel::PIN.val(pin as u32).value() | Psel::PORT.val(port as u32).value()
}

/// Bound on busy-waits for the blocking debug path (about 0.5 s of polling at 64 MHz; a byte
/// at 115200 baud takes 87 us). Past it the output is dropped rather than hanging the kernel.
const SPIN_LIMIT: u32 = 4_000_000;

fn spin_until(done: impl Fn() -> bool) -> bool {
    for _ in 0..SPIN_LIMIT {
        if done() {
            return true;
        }
    }
    false
}

/// The transmit half: DMA engine and client of the transmit channel.
pub struct UarteTx<'a> {
    regs: StaticRef<UarteRegisters>,
    dma: OptionalCell<&'a DmaChannel<'a>>,
    client: OptionalCell<&'a dyn TransmitClient>,
    /// Bytes of the current buffer to send.
    len: Cell<usize>,
    /// The current transfer's ENDTX was consumed by the blocking debug path; its completion
    /// waits for `Uarte::service_deferred`.
    finished_early: Cell<bool>,
}

impl<'a> DmaEngine for UarteTx<'a> {
    fn start(&self, ptr: *mut u8, len: usize) {
        let n = len.min(self.len.get()).min(MAX_DMA);
        self.regs.txd_ptr.set(ptr as u32);
        self.regs.txd_maxcnt.set(n as u32);
        self.regs.events_endtx.set(0);
        self.regs.tasks_starttx.set(1);
    }
}

impl<'a> DmaClient for UarteTx<'a> {
    fn transfer_done(&self, buffer: &'static mut [u8]) {
        let len = self.len.get();
        self.client
            .map(|c| c.transmitted_buffer(buffer, len, Ok(())));
    }
}

impl<'a> UarteTx<'a> {
    fn busy(&self) -> bool {
        self.dma.map_or(false, |d| d.in_progress())
    }
}

/// The receive half: DMA engine and client of the receive channel.
pub struct UarteRx<'a> {
    regs: StaticRef<UarteRegisters>,
    dma: OptionalCell<&'a DmaChannel<'a>>,
    client: OptionalCell<&'a dyn ReceiveClient>,
    /// The receive buffer while no transfer holds it.
    idle_buf: TakeCell<'static, [u8]>,
}

impl<'a> DmaEngine for UarteRx<'a> {
    fn start(&self, ptr: *mut u8, len: usize) {
        self.regs.rxd_ptr.set(ptr as u32);
        self.regs.rxd_maxcnt.set(len.min(MAX_DMA) as u32);
        self.regs.events_endrx.set(0);
        self.regs.tasks_startrx.set(1);
    }
}

impl<'a> DmaClient for UarteRx<'a> {
    fn transfer_done(&self, buffer: &'static mut [u8]) {
        let amount = (self.regs.rxd_amount.get() as usize).min(buffer.len());
        let byte = if amount > 0 { Some(buffer[0]) } else { None };
        // Restart first: the next byte may already be on the line.
        self.restart(buffer);
        if let Some(b) = byte {
            self.client.map(|c| c.received_byte(b));
        }
    }
}

impl<'a> UarteRx<'a> {
    fn restart(&self, buffer: &'static mut [u8]) {
        match self.dma.get() {
            Some(dma) => {
                if let Err((_, b)) = dma.do_transfer(buffer) {
                    self.idle_buf.replace(b);
                }
            }
            None => {
                self.idle_buf.replace(buffer);
            }
        }
    }
}

/// One UARTE instance.
pub struct Uarte<'a> {
    regs: StaticRef<UarteRegisters>,
    /// Transmit half (give `&uarte.tx` to the transmit `DmaChannel`).
    pub tx: UarteTx<'a>,
    /// Receive half (give `&uarte.rx` to the receive `DmaChannel`).
    pub rx: UarteRx<'a>,
    debug_buf: TakeCell<'static, [u8]>,
}

impl<'a> Uarte<'a> {
    /// The UARTE whose registers are at `base`.
    ///
    /// # Safety
    /// `base` must be a UARTE instance (0x40002000 or 0x40028000) used by nothing else.
    pub unsafe fn new(base: usize) -> Self {
        // SAFETY: forwarded from this function's contract.
        let regs: StaticRef<UarteRegisters> = unsafe { StaticRef::new(base) };
        Uarte {
            regs,
            tx: UarteTx {
                regs,
                dma: OptionalCell::empty(),
                client: OptionalCell::empty(),
                len: Cell::new(0),
                finished_early: Cell::new(false),
            },
            rx: UarteRx {
                regs,
                dma: OptionalCell::empty(),
                client: OptionalCell::empty(),
                idle_buf: TakeCell::empty(),
            },
            debug_buf: TakeCell::empty(),
        }
    }

    /// Connects the two DMA channels (made over `&self.tx` and `&self.rx`) and the RAM
    /// buffers: `rx_buf` receives (one byte at a time), `debug_buf` stages blocking output.
    pub fn attach(
        &'a self,
        tx_dma: &'a DmaChannel<'a>,
        rx_dma: &'a DmaChannel<'a>,
        rx_buf: &'static mut [u8],
        debug_buf: &'static mut [u8],
    ) {
        tx_dma.set_client(&self.tx);
        tx_dma.enable();
        self.tx.dma.set(tx_dma);
        rx_dma.set_client(&self.rx);
        rx_dma.enable();
        self.rx.dma.set(rx_dma);
        let one = rx_buf.len().min(1);
        self.rx.idle_buf.replace(&mut rx_buf[..one]);
        self.debug_buf.replace(debug_buf);
    }

    /// Configures pins, 115200 8N1 and interrupts, then enables the UARTE.
    pub fn init(&self, tx: (u8, u8), rx: (u8, u8)) {
        self.regs.enable.set(0);
        self.regs.psel_txd.set(psel(tx.0, tx.1));
        self.regs.psel_rxd.set(psel(rx.0, rx.1));
        self.regs.psel_rts.write(Psel::DISCONNECT.set());
        self.regs.psel_cts.write(Psel::DISCONNECT.set());
        self.regs.baudrate.set(BAUD_115200);
        self.regs.config.set(0);
        self.regs.shorts.set(0);
        self.regs
            .intenclr
            .set(Int::RXDRDY.set().value() | Int::RXTO.set().value());
        self.regs
            .intenset
            .write(Int::ENDRX.set() + Int::ENDTX.set() + Int::ERROR.set());
        self.regs.enable.set(ENABLE_UARTE);
    }

    /// Bottom half of the UARTE interrupt. Runs until none of its events is left set: a
    /// client called from here may print (ENDTX) while the next byte arrives (ENDRX), and an
    /// event raised while another still holds the interrupt line high gives no new edge.
    pub fn handle_interrupt(&self) {
        for _ in 0..16 {
            if self.regs.events_error.get() == 0
                && self.regs.events_endtx.get() == 0
                && self.regs.events_endrx.get() == 0
            {
                return;
            }
            self.handle_events();
        }
    }

    fn handle_events(&self) {
        if self.regs.events_error.get() != 0 {
            self.regs.events_error.set(0);
            // ERRORSRC bits are write-one-to-clear.
            let src = self.regs.errorsrc.get();
            self.regs.errorsrc.set(src);
        }
        if self.regs.events_endtx.get() != 0 {
            self.regs.events_endtx.set(0);
            if self.tx.busy() && !self.tx.finished_early.get() {
                self.tx.dma.map(|d| d.transfer_complete());
            }
        }
        if self.regs.events_endrx.get() != 0 {
            self.regs.events_endrx.set(0);
            self.rx.dma.map(|d| d.transfer_complete());
        }
    }

    /// True when a transmit completion waits for `service_deferred`.
    pub fn deferred_pending(&self) -> bool {
        self.tx.finished_early.get()
    }

    /// Delivers a transmission whose ENDTX the blocking path consumed.
    pub fn service_deferred(&self) {
        if self.tx.finished_early.get() {
            self.tx.finished_early.set(false);
            self.tx.dma.map(|d| d.transfer_complete());
        }
    }

    /// Sends `bytes` (already in RAM) and waits for ENDTX.
    fn send_blocking(&self, bytes: &[u8]) -> bool {
        self.regs.txd_ptr.set(bytes.as_ptr() as u32);
        self.regs.txd_maxcnt.set(bytes.len() as u32);
        self.regs.events_endtx.set(0);
        self.regs.tasks_starttx.set(1);
        let ok = spin_until(|| self.regs.events_endtx.get() != 0);
        self.regs.events_endtx.set(0);
        ok
    }
}

impl<'a> DebugWriter for Uarte<'a> {
    fn write_bytes(&self, bytes: &[u8]) {
        // Let a running asynchronous transmission finish; its completion is delivered later.
        if self.tx.busy() && !self.tx.finished_early.get() {
            spin_until(|| self.regs.events_endtx.get() != 0);
            self.regs.events_endtx.set(0);
            self.tx.finished_early.set(true);
        }
        let staging = match self.debug_buf.take() {
            Some(b) => b,
            None => return, // re-entered (a panic while printing): drop the output
        };
        for chunk in bytes.chunks(staging.len().max(1)) {
            staging[..chunk.len()].copy_from_slice(chunk);
            if !self.send_blocking(&staging[..chunk.len()]) {
                break;
            }
        }
        self.debug_buf.replace(staging);
    }
}

impl<'a> Transmit<'a> for Uarte<'a> {
    fn set_transmit_client(&self, client: &'a dyn TransmitClient) {
        self.tx.client.set(client);
    }
    fn transmit_buffer(
        &self,
        buffer: &'static mut [u8],
        len: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if len == 0 || len > buffer.len() || len > MAX_DMA {
            return Err((ErrorCode::Size, buffer));
        }
        let dma = match self.tx.dma.get() {
            Some(d) => d,
            None => return Err((ErrorCode::Off, buffer)),
        };
        if dma.in_progress() {
            return Err((ErrorCode::Busy, buffer));
        }
        self.tx.len.set(len);
        dma.do_transfer(buffer)
    }
}

impl<'a> Receive<'a> for Uarte<'a> {
    fn set_receive_client(&self, client: &'a dyn ReceiveClient) {
        self.rx.client.set(client);
    }
    fn start_receive(&self) -> Result<(), ErrorCode> {
        let dma = self.rx.dma.get().ok_or(ErrorCode::Off)?;
        if dma.in_progress() {
            return Ok(());
        }
        let buf = self.rx.idle_buf.take().ok_or(ErrorCode::NoMem)?;
        dma.do_transfer(buf).map_err(|(e, b)| {
            self.rx.idle_buf.replace(b);
            e
        })
    }
}

impl<'a> Configure for Uarte<'a> {
    fn set_baud_rate(&self, baud: u32) -> Result<(), ErrorCode> {
        let value = BAUD_RATES
            .iter()
            .find(|(rate, _)| *rate == baud)
            .map(|(_, v)| *v)
            .ok_or(ErrorCode::Invalid)?;
        self.regs.baudrate.set(value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::boxed::Box;

    #[test]
    fn baud_rates_from_the_table_only() {
        let (base, u, _) = fake();
        assert_eq!(u.set_baud_rate(921_600), Ok(()));
        assert_eq!(peek(base, 0x524), 0x0F00_0000);
        assert_eq!(u.set_baud_rate(123_456), Err(ErrorCode::Invalid));
        assert_eq!(peek(base, 0x524), 0x0F00_0000, "unchanged");
        assert_eq!(u.set_baud_rate(115_200), Ok(()));
        assert_eq!(peek(base, 0x524), BAUD_115200);
    }

    #[test]
    fn psel_encodes_port_and_pin() {
        assert_eq!(psel(0, 6), 6);
        assert_eq!(psel(1, 8), 0x28);
        assert_eq!(Psel::DISCONNECT.set().value(), 0x8000_0000);
    }

    /// A UARTE over a leaked fake register block, wired as the boards wire it.
    fn fake() -> (usize, &'static Uarte<'static>, *mut u8) {
        let mem: &'static mut [u32; 0x570 / 4] = Box::leak(Box::new([0u32; 0x570 / 4]));
        let base = mem.as_mut_ptr() as usize;
        // SAFETY: the leaked block lives forever and is laid out as `UarteRegisters`.
        let u: &'static Uarte = Box::leak(Box::new(unsafe { Uarte::new(base) }));
        let tx: &'static DmaChannel = Box::leak(Box::new(DmaChannel::new(&u.tx)));
        let rx: &'static DmaChannel = Box::leak(Box::new(DmaChannel::new(&u.rx)));
        let rx_buf: &'static mut [u8] = Box::leak(Box::new([0u8; 4]));
        let rx_ptr = rx_buf.as_mut_ptr();
        let dbg: &'static mut [u8] = Box::leak(Box::new([0u8; 8]));
        u.attach(tx, rx, rx_buf, dbg);
        (base, u, rx_ptr)
    }

    fn peek(base: usize, off: usize) -> u32 {
        // SAFETY: `off` lies inside the leaked fake block at `base`.
        unsafe { core::ptr::read_volatile((base + off) as *const u32) }
    }

    fn poke(base: usize, off: usize, v: u32) {
        // SAFETY: `off` lies inside the leaked fake block at `base`.
        unsafe { core::ptr::write_volatile((base + off) as *mut u32, v) }
    }

    #[test]
    fn init_programs_pins_baud_and_enable() {
        let (base, u, _) = fake();
        u.init((0, 6), (1, 8));
        assert_eq!(peek(base, 0x50c), 6, "PSEL.TXD");
        assert_eq!(peek(base, 0x514), 0x28, "PSEL.RXD");
        assert_eq!(peek(base, 0x508), 0x8000_0000, "RTS disconnected");
        assert_eq!(peek(base, 0x524), BAUD_115200);
        assert_eq!(peek(base, 0x500), ENABLE_UARTE);
        assert_eq!(peek(base, 0x304), (1 << 4) | (1 << 8) | (1 << 9));
    }

    #[test]
    fn transmit_hands_the_buffer_to_dma_until_endtx() {
        struct Done(Cell<usize>);
        impl TransmitClient for Done {
            fn transmitted_buffer(
                &self,
                buffer: &'static mut [u8],
                len: usize,
                rval: Result<(), ErrorCode>,
            ) {
                assert_eq!(rval, Ok(()));
                assert_eq!(&buffer[..len], b"hi");
                self.0.set(len);
            }
        }
        let done: &'static Done = Box::leak(Box::new(Done(Cell::new(0))));
        let (base, u, _) = fake();
        u.set_transmit_client(done);
        let buf: &'static mut [u8] = Box::leak(Box::new(*b"hi there"));
        let ptr = buf.as_ptr() as usize as u32;
        assert!(u.transmit_buffer(buf, 2).is_ok());
        assert_eq!(peek(base, 0x544), ptr, "TXD.PTR");
        assert_eq!(
            peek(base, 0x548),
            2,
            "TXD.MAXCNT is the length, not the buffer size"
        );
        assert_eq!(peek(base, 0x008), 1, "STARTTX");
        // Busy until ENDTX: a second buffer comes straight back.
        let other: &'static mut [u8] = Box::leak(Box::new([0u8; 4]));
        assert!(matches!(
            u.transmit_buffer(other, 1),
            Err((ErrorCode::Busy, _))
        ));
        u.handle_interrupt();
        assert_eq!(done.0.get(), 0, "no ENDTX yet");
        poke(base, 0x120, 1);
        u.handle_interrupt();
        assert_eq!(done.0.get(), 2);
        assert_eq!(peek(base, 0x120), 0, "ENDTX cleared");
        let empty: &'static mut [u8] = Box::leak(Box::new([0u8; 4]));
        assert!(matches!(
            u.transmit_buffer(empty, 0),
            Err((ErrorCode::Size, _))
        ));
    }

    #[test]
    fn receives_one_byte_per_endrx_and_restarts_first() {
        struct Got(Cell<u32>, Cell<u8>);
        impl ReceiveClient for Got {
            fn received_byte(&self, b: u8) {
                self.0.set(self.0.get() + 1);
                self.1.set(b);
            }
        }
        let got: &'static Got = Box::leak(Box::new(Got(Cell::new(0), Cell::new(0))));
        let (base, u, ptr) = fake();
        u.set_receive_client(got);
        assert_eq!(u.start_receive(), Ok(()));
        assert_eq!(peek(base, 0x538), 1, "RXD.MAXCNT: one byte");
        assert_eq!(peek(base, 0x000), 1, "STARTRX");
        // RXD.PTR holds the buffer's address (truncated to 32 bits on a 64-bit host).
        assert_eq!(peek(base, 0x534), ptr as usize as u32);
        for &b in b"ls\r" {
            // The "hardware" stores a byte by EasyDMA and ends the buffer.
            // SAFETY: RXD.PTR is the driver's leaked one-byte receive buffer.
            unsafe { core::ptr::write_volatile(ptr, b) };
            poke(base, 0x53c, 1);
            poke(base, 0x110, 1);
            poke(base, 0x000, 0);
            u.handle_interrupt();
            assert_eq!(got.1.get(), b);
            assert_eq!(peek(base, 0x000), 1, "receiver restarted");
            assert_eq!(peek(base, 0x110), 0, "ENDRX cleared");
        }
        assert_eq!(got.0.get(), 3);
        // An ENDRX with nothing received (AMOUNT 0) delivers nothing.
        poke(base, 0x53c, 0);
        poke(base, 0x110, 1);
        u.handle_interrupt();
        assert_eq!(got.0.get(), 3);
    }

    #[test]
    fn interrupt_bits_follow_event_offsets() {
        // Bit n of INTEN belongs to the event at 0x100 + 4n.
        assert_eq!(Int::ENDRX.set().value(), 1 << ((0x110 - 0x100) / 4));
        assert_eq!(Int::ENDTX.set().value(), 1 << ((0x120 - 0x100) / 4));
        assert_eq!(Int::ERROR.set().value(), 1 << ((0x124 - 0x100) / 4));
        assert_eq!(Int::RXTO.set().value(), 1 << ((0x144 - 0x100) / 4));
    }
}
