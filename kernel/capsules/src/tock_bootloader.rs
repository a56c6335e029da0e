//! Tock bootloader protocol: answers tockloader's serial commands over a UART, reading and
//! writing flash through the flash HIL.
//!
//! A bootloader board (boards/nrf52840dk-bootloader) runs this capsule instead of a kernel when
//! it was asked to stay in the bootloader; tockloader, or Capsule Studio's bootloader flasher,
//! then lists, installs and removes apps over the board's serial port.
//!
//! ```text
//! let bl = static_init!(TockBootloader, TockBootloader::new(uart, uart, flash, exit, layout, rx, tx, page));
//! uart.set_receive_client(bl); uart.set_transmit_client(bl); flash.set_flash_client(bl);
//! ```
//!
//! The protocol (tock/tock-bootloader's README, tockloader's bootloader_serial.py): a command is
//! its argument bytes with every 0xFC doubled, then 0xFC and the command byte; a response is
//! 0xFC and the response byte, then its escaped payload. Integers are little-endian.
//!
//! | command | arguments | answer |
//! |---|---|---|
//! | 0x01 PING | - | 0x11 PONG |
//! | 0x03 INFO | - | 0x25, length, 192 bytes of JSON (version, start_address, name) |
//! | 0x05 RESET | - | none: forgets the bytes received so far |
//! | 0x06 ERASE_PAGE | address (512-byte aligned) | 0x15 OK: those 512 bytes read 0xFF |
//! | 0x07 WRITE_PAGE | address, 512 bytes | 0x15 OK |
//! | 0x11 READ_RANGE | address, u16 length | 0x20 and the bytes |
//! | 0x13 SET_ATTRIBUTE | index, 8-byte key, length (1-55), value | 0x15 OK |
//! | 0x14 GET_ATTRIBUTE | index | 0x22 and the 64-byte record |
//! | 0x15 CRC_INTERNAL_FLASH | address, u32 length | 0x23 and the CRC-32 |
//! | 0x21 CHANGE_BAUD_RATE | 1 (set) or 2 (verify), u32 baud | 0x15 OK (the set is answered at the old rate) |
//! | 0x22 EXIT | - | none: the board resets and starts the kernel |
//! | 0x23 SET_START_ADDRESS | address | 0x15 OK |
//!
//! Errors: 0x10 OVERFLOW (more argument bytes than the buffer holds), 0x12 BADADDR (outside
//! flash, not page aligned, or inside the bootloader, which never overwrites itself), 0x13
//! INTERROR (the flash operation failed), 0x14 BADARGS (wrong argument length or value), 0x16
//! UNKNOWN (any other command byte, including the legacy external-flash ones), 0x26
//! CHANGE_BAUD_FAIL (a rate the UART does not offer).
//!
//! The wire page is 512 bytes; flash pages are larger (4 KiB on the nRF52). A WRITE_PAGE or
//! ERASE_PAGE reads the flash page around it into RAM, changes the 512 bytes, erases the page
//! only when some bit must go from 0 back to 1, and writes the page back; the driver skips
//! words that already hold their value. NOR flash programming only clears bits (nRF52840 PS,
//! NVMC, "Writing to flash": the NVMC can only write 0 to erased bits, never a bit back to 1),
//! so 512 bytes written into erased flash cost only their 128 word writes (tWRITE each), not a
//! page erase (tERASEPAGE, 85 ms) and a rewrite of the other 3.5 KiB.
//!
//! The flags block (`layout.flags`: "TOCKBOOTLOADER", an 8-byte version at +14, the kernel's
//! start address at +32) and the 16 attributes of 64 bytes (`layout.attributes`) live in the
//! bootloader's own flash and change the same way.
//! The CRC is the standard CRC-32 (reflected polynomial 0xEDB88320, initial and final XOR
//! 0xFFFFFFFF), as tockloader computes it.
//!
//! Commands are answered one at a time: a command that completes while the previous one is
//! still being answered is dropped (the host waits for each answer, and tockloader resends).

use cells::TakeCell;
use core::cell::Cell;
use kernel::hil::flash::{Client as FlashClient, Flash};
use kernel::hil::uart::{Configure, ReceiveClient, Transmit, TransmitClient};
use kernel::ErrorCode;

/// The escape byte.
pub const ESCAPE: u8 = 0xFC;
/// The protocol's page size.
pub const PAGE_SIZE: usize = 512;
/// Attribute records.
pub const ATTRIBUTES: usize = 16;
/// Bytes per attribute record.
pub const ATTRIBUTE_SIZE: usize = 64;
/// Longest attribute value.
pub const ATTRIBUTE_VALUE_MAX: usize = 55;
/// INFO's payload after its length byte.
pub const INFO_SIZE: usize = 192;
/// The flags block's first bytes.
pub const FLAGS_MAGIC: &[u8; 14] = b"TOCKBOOTLOADER";
/// Where the version string starts in the flags block.
pub const FLAGS_VERSION: usize = 14;
/// Where the kernel's start address sits in the flags block.
pub const FLAGS_START_ADDRESS: usize = 32;
/// Smallest argument buffer the capsule works with (a WRITE_PAGE's address and page).
pub const RX_BUFFER_MIN: usize = 4 + PAGE_SIZE;
/// Smallest transmit buffer (INFO's whole answer).
pub const TX_BUFFER_MIN: usize = 2 + 1 + INFO_SIZE;

mod cmd {
    pub const PING: u8 = 0x01;
    pub const INFO: u8 = 0x03;
    pub const RESET: u8 = 0x05;
    pub const ERASE_PAGE: u8 = 0x06;
    pub const WRITE_PAGE: u8 = 0x07;
    pub const READ_RANGE: u8 = 0x11;
    pub const SET_ATTRIBUTE: u8 = 0x13;
    pub const GET_ATTRIBUTE: u8 = 0x14;
    pub const CRC_INTERNAL_FLASH: u8 = 0x15;
    pub const CHANGE_BAUD_RATE: u8 = 0x21;
    pub const EXIT: u8 = 0x22;
    pub const SET_START_ADDRESS: u8 = 0x23;
}

mod res {
    pub const OVERFLOW: u8 = 0x10;
    pub const PONG: u8 = 0x11;
    pub const BADADDR: u8 = 0x12;
    pub const INTERROR: u8 = 0x13;
    pub const BADARGS: u8 = 0x14;
    pub const OK: u8 = 0x15;
    pub const UNKNOWN: u8 = 0x16;
    pub const READ_RANGE: u8 = 0x20;
    pub const GET_ATTRIBUTE: u8 = 0x22;
    pub const CRC_INTERNAL_FLASH: u8 = 0x23;
    pub const INFO: u8 = 0x25;
    pub const CHANGE_BAUD_FAIL: u8 = 0x26;
}

/// Where the bootloader keeps its state in flash.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// Address of the flags block.
    pub flags: usize,
    /// Address of the first attribute record.
    pub attributes: usize,
    /// End of the bootloader's own flash: WRITE_PAGE and ERASE_PAGE below it are refused.
    pub protected_end: usize,
}

/// What EXIT does: reset the board so its bootloader starts the kernel.
pub trait Exit {
    /// Leaves the bootloader (does not return on hardware).
    fn exit(&self);
}

/// The standard CRC-32 table (reflected 0xEDB88320).
const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[n] = c;
        n += 1;
    }
    t
};

/// Continues a CRC-32 run (`crc` starts at 0xFFFFFFFF; XOR the end result with 0xFFFFFFFF).
pub fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    for b in data {
        crc = CRC_TABLE[((crc ^ *b as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// What the capsule is waiting for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Wait {
    /// Nothing: the next command may come.
    Idle,
    /// A flash page erase; then the page buffer is written back to `page`.
    Erase { page: usize },
    /// A flash page write; then OK.
    Write,
    /// The answer is being sent; `stream` more bytes of READ_RANGE from `address` follow.
    Transmit { address: usize, stream: usize },
}

/// A baud-rate change in progress.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Baud {
    Steady,
    /// The set was answered at `old`; switch to `new` once that answer is out.
    Switch {
        old: u32,
        new: u32,
    },
    /// Running at `new`; the next command must verify it, else back to `old`.
    Verify {
        old: u32,
        new: u32,
    },
}

/// The capsule.
pub struct TockBootloader<'a> {
    uart: &'a dyn Transmit<'a>,
    line: &'a dyn Configure,
    flash: &'a dyn Flash<'a>,
    exit: &'a dyn Exit,
    layout: Layout,
    rx: TakeCell<'static, [u8]>,
    rx_len: Cell<usize>,
    escaped: Cell<bool>,
    overflow: Cell<bool>,
    tx: TakeCell<'static, [u8]>,
    page: TakeCell<'static, [u8]>,
    wait: Cell<Wait>,
    baud: Cell<Baud>,
    rate: Cell<u32>,
}

impl<'a> TockBootloader<'a> {
    /// A bootloader answering on `uart` (whose rate `line` changes), over `flash`. `rx` holds a
    /// command's arguments (at least `RX_BUFFER_MIN` bytes), `tx` an answer (at least
    /// `TX_BUFFER_MIN`), `page` one flash page.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        uart: &'a dyn Transmit<'a>,
        line: &'a dyn Configure,
        flash: &'a dyn Flash<'a>,
        exit: &'a dyn Exit,
        layout: Layout,
        rx: &'static mut [u8],
        tx: &'static mut [u8],
        page: &'static mut [u8],
    ) -> Self {
        TockBootloader {
            uart,
            line,
            flash,
            exit,
            layout,
            rx: TakeCell::new(rx),
            rx_len: Cell::new(0),
            escaped: Cell::new(false),
            overflow: Cell::new(false),
            tx: TakeCell::new(tx),
            page: TakeCell::new(page),
            wait: Cell::new(Wait::Idle),
            baud: Cell::new(Baud::Steady),
            rate: Cell::new(115_200),
        }
    }

    fn forget_arguments(&self) {
        self.rx_len.set(0);
        self.overflow.set(false);
    }

    /// Sends `code` and `payload` (escaped).
    fn respond(&self, code: u8, payload: &[u8]) {
        self.respond_with(code, |out| {
            let mut n = 0;
            for &b in payload {
                if n + 2 > out.len() {
                    break;
                }
                out[n] = b;
                n += 1;
                if b == ESCAPE {
                    out[n] = ESCAPE;
                    n += 1;
                }
            }
            n
        });
    }

    /// Sends `code` and whatever `fill` writes after it (already escaped).
    fn respond_with(&self, code: u8, fill: impl FnOnce(&mut [u8]) -> usize) {
        let buf = match self.tx.take() {
            Some(b) => b,
            None => return,
        };
        buf[0] = ESCAPE;
        buf[1] = code;
        let n = 2 + fill(&mut buf[2..]);
        self.send(buf, n, 0, 0);
    }

    fn send(&self, buf: &'static mut [u8], len: usize, address: usize, stream: usize) {
        self.wait.set(Wait::Transmit { address, stream });
        if let Err((_, b)) = self.uart.transmit_buffer(buf, len) {
            self.tx.replace(b);
            self.wait.set(Wait::Idle);
        }
    }

    /// Copies flash from `address` into `out`, escaped, until `out` is full or `left` bytes are
    /// done; returns (bytes written to `out`, flash bytes consumed).
    fn fill_escaped(&self, address: usize, left: usize, out: &mut [u8]) -> (usize, usize) {
        let mut n = 0;
        let mut used = 0;
        let mut chunk = [0u8; 64];
        while used < left && n + 2 <= out.len() {
            let want = (left - used).min(chunk.len()).min((out.len() - n) / 2);
            let want = want.max(1);
            if self.flash.read(address + used, &mut chunk[..want]).is_err() {
                break;
            }
            for &b in &chunk[..want] {
                out[n] = b;
                n += 1;
                if b == ESCAPE {
                    out[n] = ESCAPE;
                    n += 1;
                }
            }
            used += want;
        }
        (n, used)
    }

    fn in_flash(&self, address: usize, len: usize) -> bool {
        address
            .checked_add(len)
            .map_or(false, |end| end <= self.flash.size())
    }

    /// Changes `len` bytes at `address` (inside one flash page) to the bytes `rx[from..]` or,
    /// with `fill`, to that byte; answers OK (or an error) when the flash has them.
    fn patch(&self, address: usize, len: usize, from: usize, fill: Option<u8>) {
        let size = self.flash.page_size();
        let base = address - address % size;
        let off = address - base;
        let (page, rx) = match (self.page.take(), self.rx.take()) {
            (Some(p), Some(r)) => (p, r),
            (p, r) => {
                if let Some(p) = p {
                    self.page.replace(p);
                }
                if let Some(r) = r {
                    self.rx.replace(r);
                }
                self.respond(res::INTERROR, &[]);
                return;
            }
        };
        if page.len() < size
            || off + len > size
            || self.flash.read(base, &mut page[..size]).is_err()
        {
            self.page.replace(page);
            self.rx.replace(rx);
            self.respond(res::INTERROR, &[]);
            return;
        }
        let new = |i: usize| fill.unwrap_or_else(|| rx[from + i]);
        let same = (0..len).all(|i| page[off + i] == new(i));
        let needs_erase = (0..len).any(|i| page[off + i] & new(i) != new(i));
        for i in 0..len {
            page[off + i] = new(i);
        }
        self.rx.replace(rx);
        if same {
            self.page.replace(page);
            self.respond(res::OK, &[]);
            return;
        }
        if needs_erase {
            self.page.replace(page);
            match self.flash.erase_page(base) {
                Ok(()) => self.wait.set(Wait::Erase { page: base }),
                Err(_) => self.respond(res::INTERROR, &[]),
            }
        } else {
            self.write_back(base, page);
        }
    }

    fn write_back(&self, base: usize, page: &'static mut [u8]) {
        let size = self.flash.page_size();
        match self.flash.write(base, page, size) {
            Ok(()) => self.wait.set(Wait::Write),
            Err((_, p)) => {
                self.page.replace(p);
                self.respond(res::INTERROR, &[]);
            }
        }
    }

    fn word(rx: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([rx[at], rx[at + 1], rx[at + 2], rx[at + 3]])
    }

    /// Runs one decoded command with `n` argument bytes in `rx`.
    fn command(&self, code: u8, n: usize) {
        if self.overflow.get() {
            self.respond(res::OVERFLOW, &[]);
            return;
        }
        let args = self.rx.map_or([0u8; 10], |rx| {
            let mut a = [0u8; 10];
            let k = n.min(10);
            a[..k].copy_from_slice(&rx[..k]);
            a
        });
        let word = |at: usize| Self::word(&args, at);
        match code {
            cmd::PING => self.respond(res::PONG, &[]),
            cmd::INFO => self.info(),
            cmd::ERASE_PAGE | cmd::WRITE_PAGE => {
                let expected = if code == cmd::ERASE_PAGE {
                    4
                } else {
                    4 + PAGE_SIZE
                };
                if n != expected {
                    return self.respond(res::BADARGS, &[]);
                }
                let address = word(0) as usize;
                if address % PAGE_SIZE != 0
                    || address < self.layout.protected_end
                    || !self.in_flash(address, PAGE_SIZE)
                {
                    return self.respond(res::BADADDR, &[]);
                }
                let fill = if code == cmd::ERASE_PAGE {
                    Some(0xff)
                } else {
                    None
                };
                self.patch(address, PAGE_SIZE, 4, fill);
            }
            cmd::READ_RANGE => {
                if n != 6 {
                    return self.respond(res::BADARGS, &[]);
                }
                let address = word(0) as usize;
                let len = u16::from_le_bytes([args[4], args[5]]) as usize;
                if !self.in_flash(address, len) {
                    return self.respond(res::BADADDR, &[]);
                }
                let buf = match self.tx.take() {
                    Some(b) => b,
                    None => return,
                };
                buf[0] = ESCAPE;
                buf[1] = res::READ_RANGE;
                let (k, used) = self.fill_escaped(address, len, &mut buf[2..]);
                self.send(buf, 2 + k, address + used, len - used);
            }
            cmd::CRC_INTERNAL_FLASH => {
                if n != 8 {
                    return self.respond(res::BADARGS, &[]);
                }
                let (address, len) = (word(0) as usize, word(4) as usize);
                if !self.in_flash(address, len) {
                    return self.respond(res::BADADDR, &[]);
                }
                let mut crc = 0xFFFF_FFFF;
                let mut chunk = [0u8; 64];
                let mut done = 0;
                while done < len {
                    let k = (len - done).min(chunk.len());
                    if self.flash.read(address + done, &mut chunk[..k]).is_err() {
                        return self.respond(res::INTERROR, &[]);
                    }
                    crc = crc32_update(crc, &chunk[..k]);
                    done += k;
                }
                self.respond(res::CRC_INTERNAL_FLASH, &(crc ^ 0xFFFF_FFFF).to_le_bytes());
            }
            cmd::GET_ATTRIBUTE => {
                if n != 1 {
                    return self.respond(res::BADARGS, &[]);
                }
                let index = args[0] as usize;
                if index >= ATTRIBUTES {
                    return self.respond(res::BADADDR, &[]);
                }
                let mut record = [0u8; ATTRIBUTE_SIZE];
                let address = self.layout.attributes + index * ATTRIBUTE_SIZE;
                if self.flash.read(address, &mut record).is_err() {
                    return self.respond(res::INTERROR, &[]);
                }
                self.respond(res::GET_ATTRIBUTE, &record);
            }
            cmd::SET_ATTRIBUTE => {
                let len = args[9] as usize;
                if n < 10 || n != 10 + len || len == 0 || len > ATTRIBUTE_VALUE_MAX {
                    return self.respond(res::BADARGS, &[]);
                }
                let index = args[0] as usize;
                if index >= ATTRIBUTES {
                    return self.respond(res::BADADDR, &[]);
                }
                // The record is key (8), length, value zero-padded to 55: built in place in
                // `rx` (after the argument bytes) so `patch` copies it from there.
                let at = 10 + ATTRIBUTE_VALUE_MAX;
                let built = self.rx.map_or(false, |rx| {
                    if rx.len() < at + ATTRIBUTE_SIZE {
                        return false;
                    }
                    for i in 0..ATTRIBUTE_SIZE {
                        rx[at + i] = match i {
                            0..=7 => rx[1 + i],
                            8 => len as u8,
                            _ if i - 9 < len => rx[10 + i - 9],
                            _ => 0,
                        };
                    }
                    true
                });
                if !built {
                    return self.respond(res::INTERROR, &[]);
                }
                let address = self.layout.attributes + index * ATTRIBUTE_SIZE;
                self.patch(address, ATTRIBUTE_SIZE, at, None);
            }
            cmd::SET_START_ADDRESS => {
                if n != 4 {
                    return self.respond(res::BADARGS, &[]);
                }
                self.patch(self.layout.flags + FLAGS_START_ADDRESS, 4, 0, None);
            }
            cmd::CHANGE_BAUD_RATE => {
                let baud = word(1);
                match (n, args[0], self.baud.get()) {
                    (5, 1, _) => {
                        let old = self.rate.get();
                        // Check the rate now (switching back at once) so a rate the UART does
                        // not offer is refused at the old rate.
                        if self.line.set_baud_rate(baud).is_err() {
                            return self.respond(res::CHANGE_BAUD_FAIL, &[]);
                        }
                        let _ = self.line.set_baud_rate(old);
                        self.baud.set(Baud::Switch { old, new: baud });
                        self.respond(res::OK, &[]);
                    }
                    (5, 2, Baud::Verify { new, .. }) if new == baud => {
                        self.baud.set(Baud::Steady);
                        self.respond(res::OK, &[]);
                    }
                    _ => self.respond(res::BADARGS, &[]),
                }
            }
            cmd::EXIT => self.exit.exit(),
            _ => self.respond(res::UNKNOWN, &[]),
        }
    }

    fn info(&self) {
        let mut flags = [0u8; FLAGS_START_ADDRESS + 4];
        if self.flash.read(self.layout.flags, &mut flags).is_err() {
            return self.respond(res::INTERROR, &[]);
        }
        let start = Self::word(&flags, FLAGS_START_ADDRESS);
        self.respond_with(res::INFO, |out| {
            let mut text = Text { out, n: 1 };
            text.put(b"{\"version\":\"");
            for &b in &flags[FLAGS_VERSION..FLAGS_VERSION + 8] {
                if b == 0 || b == 0xff || b == b'"' || b == ESCAPE {
                    break;
                }
                text.put(&[b]);
            }
            text.put(b"\", \"start_address\":\"0x");
            for i in (0..8).rev() {
                let d = ((start >> (4 * i)) & 0xf) as u8;
                text.put(&[if d < 10 { b'0' + d } else { b'a' + d - 10 }]);
            }
            text.put(b"\", \"name\":\"Tock Bootloader\"}");
            let len = text.n - 1;
            let out = text.out;
            out[0] = len as u8;
            for b in out.iter_mut().take(1 + INFO_SIZE).skip(1 + len) {
                *b = 0;
            }
            1 + INFO_SIZE
        });
    }
}

/// Appends bytes to a buffer, dropping what does not fit.
struct Text<'b> {
    out: &'b mut [u8],
    n: usize,
}

impl<'b> Text<'b> {
    fn put(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.n < self.out.len() && self.n <= INFO_SIZE {
                self.out[self.n] = b;
                self.n += 1;
            }
        }
    }
}

impl<'a> ReceiveClient for TockBootloader<'a> {
    fn received_byte(&self, byte: u8) {
        if !self.escaped.get() {
            if byte == ESCAPE {
                self.escaped.set(true);
            } else {
                self.load(byte);
            }
            return;
        }
        self.escaped.set(false);
        if byte == ESCAPE {
            self.load(ESCAPE);
            return;
        }
        let n = self.rx_len.get();
        if byte == cmd::RESET {
            self.forget_arguments();
            return;
        }
        if let Baud::Verify { old, new } = self.baud.get() {
            let verifies = byte == cmd::CHANGE_BAUD_RATE
                && n == 5
                && self
                    .rx
                    .map_or(false, |rx| rx[0] == 2 && Self::word(rx, 1) == new);
            if !verifies {
                // The host did not confirm the new rate: back to the old one.
                let _ = self.line.set_baud_rate(old);
                self.rate.set(old);
                self.baud.set(Baud::Steady);
            }
        }
        if self.wait.get() == Wait::Idle {
            self.command(byte, n);
        }
        self.forget_arguments();
    }
}

impl<'a> TockBootloader<'a> {
    fn load(&self, byte: u8) {
        let n = self.rx_len.get();
        let stored = self.rx.map_or(false, |rx| {
            if n < rx.len() {
                rx[n] = byte;
                true
            } else {
                false
            }
        });
        if stored {
            self.rx_len.set(n + 1);
        } else {
            self.overflow.set(true);
        }
    }
}

impl<'a> TransmitClient for TockBootloader<'a> {
    fn transmitted_buffer(
        &self,
        buffer: &'static mut [u8],
        _tx_len: usize,
        _rval: Result<(), ErrorCode>,
    ) {
        if let Wait::Transmit { address, stream } = self.wait.get() {
            if stream > 0 {
                let (k, used) = self.fill_escaped(address, stream, buffer);
                if used > 0 {
                    self.send(buffer, k, address + used, stream - used);
                    return;
                }
            }
        }
        self.tx.replace(buffer);
        self.wait.set(Wait::Idle);
        if let Baud::Switch { old, new } = self.baud.get() {
            if self.line.set_baud_rate(new).is_ok() {
                self.rate.set(new);
                self.baud.set(Baud::Verify { old, new });
            } else {
                self.baud.set(Baud::Steady);
            }
        }
    }
}

impl<'a> FlashClient for TockBootloader<'a> {
    fn erase_done(&self, result: Result<(), ErrorCode>) {
        let page = match self.wait.get() {
            Wait::Erase { page } => page,
            _ => return,
        };
        self.wait.set(Wait::Idle);
        match (result, self.page.take()) {
            (Ok(()), Some(buffer)) => self.write_back(page, buffer),
            (_, b) => {
                if let Some(b) = b {
                    self.page.replace(b);
                }
                self.respond(res::INTERROR, &[]);
            }
        }
    }

    fn write_done(&self, buffer: &'static mut [u8], result: Result<(), ErrorCode>) {
        self.page.replace(buffer);
        if self.wait.get() != Wait::Write {
            return;
        }
        self.wait.set(Wait::Idle);
        self.respond(
            if result.is_ok() {
                res::OK
            } else {
                res::INTERROR
            },
            &[],
        );
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::boxed::Box;
    use std::vec::Vec;

    #[test]
    fn crc32_is_the_standard_one() {
        assert_eq!(
            crc32_update(0xFFFF_FFFF, b"123456789") ^ 0xFFFF_FFFF,
            0xCBF4_3926
        );
    }

    /// Flash of 4 pages of 4 KiB held in memory; operations complete when `finish` is called.
    struct FakeFlash {
        bytes: core::cell::RefCell<Vec<u8>>,
        client: Cell<Option<&'static dyn FlashClient>>,
        pending: Cell<Option<(bool, usize)>>,
        buffer: TakeCell<'static, [u8]>,
        erases: Cell<usize>,
    }

    impl Flash<'static> for FakeFlash {
        fn set_flash_client(&self, client: &'static dyn FlashClient) {
            self.client.set(Some(client));
        }
        fn size(&self) -> usize {
            self.bytes.borrow().len()
        }
        fn page_size(&self) -> usize {
            4096
        }
        fn read(&self, address: usize, buf: &mut [u8]) -> Result<(), ErrorCode> {
            let b = self.bytes.borrow();
            buf.copy_from_slice(b.get(address..address + buf.len()).ok_or(ErrorCode::Size)?);
            Ok(())
        }
        fn erase_page(&self, address: usize) -> Result<(), ErrorCode> {
            self.bytes.borrow_mut()[address..address + 4096].fill(0xff);
            self.erases.set(self.erases.get() + 1);
            self.pending.set(Some((true, 0)));
            Ok(())
        }
        fn write(
            &self,
            address: usize,
            buffer: &'static mut [u8],
            len: usize,
        ) -> Result<(), (ErrorCode, &'static mut [u8])> {
            let mut b = self.bytes.borrow_mut();
            for i in 0..len {
                if b[address + i] & buffer[i] != buffer[i] {
                    return Err((ErrorCode::Invalid, buffer));
                }
                b[address + i] = buffer[i];
            }
            self.buffer.replace(buffer);
            self.pending.set(Some((false, len)));
            Ok(())
        }
    }

    impl FakeFlash {
        fn finish(&self) {
            if let (Some((erase, _)), Some(c)) = (self.pending.take(), self.client.get()) {
                if erase {
                    c.erase_done(Ok(()));
                } else if let Some(b) = self.buffer.take() {
                    c.write_done(b, Ok(()));
                }
            }
        }
    }

    struct Line {
        sent: core::cell::RefCell<Vec<u8>>,
        held: TakeCell<'static, [u8]>,
        client: Cell<Option<&'static dyn TransmitClient>>,
        baud: Cell<u32>,
        exited: Cell<bool>,
    }

    impl<'a> Transmit<'a> for Line {
        fn set_transmit_client(&self, _client: &'a dyn TransmitClient) {}
        fn transmit_buffer(
            &self,
            buffer: &'static mut [u8],
            len: usize,
        ) -> Result<(), (ErrorCode, &'static mut [u8])> {
            self.sent.borrow_mut().extend_from_slice(&buffer[..len]);
            self.held.replace(buffer);
            Ok(())
        }
    }

    impl Configure for Line {
        fn set_baud_rate(&self, baud: u32) -> Result<(), ErrorCode> {
            if baud == 123 {
                return Err(ErrorCode::Invalid);
            }
            self.baud.set(baud);
            Ok(())
        }
    }

    impl Exit for Line {
        fn exit(&self) {
            self.exited.set(true);
        }
    }

    impl Line {
        /// Lets every pending transmission finish, and the flash operations too.
        fn settle(&self, flash: &FakeFlash) -> Vec<u8> {
            for _ in 0..100 {
                flash.finish();
                if let (Some(b), Some(c)) = (self.held.take(), self.client.get()) {
                    c.transmitted_buffer(b, 0, Ok(()));
                } else if flash.pending.get().is_none() {
                    break;
                }
            }
            core::mem::take(&mut *self.sent.borrow_mut())
        }
    }

    fn setup() -> (
        &'static TockBootloader<'static>,
        &'static Line,
        &'static FakeFlash,
    ) {
        let flash: &'static FakeFlash = Box::leak(Box::new(FakeFlash {
            bytes: core::cell::RefCell::new(std::vec![0xff; 4 * 4096]),
            client: Cell::new(None),
            pending: Cell::new(None),
            buffer: TakeCell::empty(),
            erases: Cell::new(0),
        }));
        {
            let mut b = flash.bytes.borrow_mut();
            b[0x400..0x40e].copy_from_slice(FLAGS_MAGIC);
            b[0x40e..0x413].copy_from_slice(b"1.1.0");
            b[0x413..0x416].fill(0);
            b[0x420..0x424].copy_from_slice(&0x2000u32.to_le_bytes());
            b[0x600..0x600 + 64].fill(0);
        }
        let line: &'static Line = Box::leak(Box::new(Line {
            sent: core::cell::RefCell::new(Vec::new()),
            held: TakeCell::empty(),
            client: Cell::new(None),
            baud: Cell::new(115_200),
            exited: Cell::new(false),
        }));
        let bl: &'static TockBootloader = Box::leak(Box::new(TockBootloader::new(
            line,
            line,
            flash,
            line,
            Layout {
                flags: 0x400,
                attributes: 0x600,
                protected_end: 0x2000,
            },
            Box::leak(Box::new([0u8; 600])),
            Box::leak(Box::new([0u8; 600])),
            Box::leak(Box::new([0u8; 4096])),
        )));
        flash.set_flash_client(bl);
        line.client.set(Some(bl));
        (bl, line, flash)
    }

    fn send(bl: &TockBootloader, args: &[u8], code: u8) {
        for &b in [0x00, ESCAPE, cmd::RESET].iter() {
            bl.received_byte(b);
        }
        for &b in args {
            bl.received_byte(b);
            if b == ESCAPE {
                bl.received_byte(b);
            }
        }
        bl.received_byte(ESCAPE);
        bl.received_byte(code);
    }

    fn unescape(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            out.push(bytes[i]);
            i += if bytes[i] == ESCAPE && bytes.get(i + 1) == Some(&ESCAPE) {
                2
            } else {
                1
            };
        }
        out
    }

    #[test]
    fn ping_info_and_unknown() {
        let (bl, line, flash) = setup();
        send(bl, &[], cmd::PING);
        assert_eq!(line.settle(flash), [ESCAPE, res::PONG]);
        send(bl, &[], cmd::INFO);
        let info = line.settle(flash);
        assert_eq!(info.len(), 2 + 1 + INFO_SIZE);
        let len = info[2] as usize;
        assert_eq!(
            core::str::from_utf8(&info[3..3 + len]).unwrap(),
            "{\"version\":\"1.1.0\", \"start_address\":\"0x00002000\", \"name\":\"Tock Bootloader\"}"
        );
        send(bl, &[], 0x09);
        assert_eq!(line.settle(flash), [ESCAPE, res::UNKNOWN]);
    }

    #[test]
    fn writes_a_page_then_reads_and_crcs_it() {
        let (bl, line, flash) = setup();
        let mut args = std::vec![0u8, 0x20, 0, 0];
        args.extend((0..512).map(|i| (i * 7) as u8));
        send(bl, &args, cmd::WRITE_PAGE);
        assert_eq!(line.settle(flash), [ESCAPE, res::OK]);
        assert_eq!(flash.erases.get(), 0, "erased flash needs no erase");
        send(bl, &[0, 0x20, 0, 0, 0, 2], cmd::READ_RANGE);
        let got = line.settle(flash);
        assert_eq!(&got[..2], [ESCAPE, res::READ_RANGE]);
        assert_eq!(unescape(&got[2..]), &args[4..]);
        send(bl, &[0, 0x20, 0, 0, 0, 2, 0, 0], cmd::CRC_INTERNAL_FLASH);
        let crc = line.settle(flash);
        let expect = crc32_update(0xFFFF_FFFF, &args[4..]) ^ 0xFFFF_FFFF;
        assert_eq!(unescape(&crc[2..]), expect.to_le_bytes());
        // Rewriting with other bytes needs the page erased first; the neighbours survive.
        flash.bytes.borrow_mut()[0x2400] = 0x55;
        args[4] = 0xff;
        send(bl, &args, cmd::WRITE_PAGE);
        assert_eq!(line.settle(flash), [ESCAPE, res::OK]);
        assert_eq!(flash.erases.get(), 1);
        assert_eq!(flash.bytes.borrow()[0x2000], 0xff);
        assert_eq!(flash.bytes.borrow()[0x2400], 0x55);
        // ERASE_PAGE of 512 bytes.
        send(bl, &[0, 0x20, 0, 0], cmd::ERASE_PAGE);
        assert_eq!(line.settle(flash), [ESCAPE, res::OK]);
        assert!(flash.bytes.borrow()[0x2000..0x2200]
            .iter()
            .all(|b| *b == 0xff));
        assert_eq!(flash.bytes.borrow()[0x2400], 0x55);
    }

    #[test]
    fn refuses_its_own_flash_bad_lengths_and_addresses() {
        let (bl, line, flash) = setup();
        let mut args = std::vec![0u8, 0x10, 0, 0];
        args.extend([0u8; 512]);
        send(bl, &args, cmd::WRITE_PAGE);
        assert_eq!(line.settle(flash), [ESCAPE, res::BADADDR]);
        send(bl, &[0, 0x10, 0, 0], cmd::ERASE_PAGE);
        assert_eq!(line.settle(flash), [ESCAPE, res::BADADDR]);
        send(bl, &[0x10, 0x20, 0, 0], cmd::ERASE_PAGE);
        assert_eq!(
            line.settle(flash),
            [ESCAPE, res::BADADDR],
            "not page aligned"
        );
        send(bl, &[0, 0x20, 0], cmd::ERASE_PAGE);
        assert_eq!(line.settle(flash), [ESCAPE, res::BADARGS]);
        send(bl, &[0, 0xf0, 0, 0, 0, 0x20], cmd::READ_RANGE);
        assert_eq!(line.settle(flash), [ESCAPE, res::BADADDR], "past the end");
        let flood = [1u8; 700];
        send(bl, &flood, cmd::ERASE_PAGE);
        assert_eq!(line.settle(flash), [ESCAPE, res::OVERFLOW]);
        assert!(flash.bytes.borrow()[0x1000..0x2000]
            .iter()
            .all(|b| *b == 0xff));
    }

    #[test]
    fn attributes_and_start_address_change_in_place() {
        let (bl, line, flash) = setup();
        let mut args = std::vec![2u8];
        args.extend(b"board\0\0\0");
        args.push(10);
        args.extend(b"nrf52840dk");
        send(bl, &args, cmd::SET_ATTRIBUTE);
        assert_eq!(line.settle(flash), [ESCAPE, res::OK]);
        send(bl, &[2], cmd::GET_ATTRIBUTE);
        let rec = line.settle(flash);
        let rec = unescape(&rec[2..]);
        assert_eq!(&rec[..8], b"board\0\0\0");
        assert_eq!(rec[8], 10);
        assert_eq!(&rec[9..19], b"nrf52840dk");
        assert!(rec[19..].iter().all(|b| *b == 0));
        send(bl, &[0, 0x30, 0, 0], cmd::SET_START_ADDRESS);
        assert_eq!(line.settle(flash), [ESCAPE, res::OK]);
        assert_eq!(
            &flash.bytes.borrow()[0x420..0x424],
            &0x3000u32.to_le_bytes()
        );
        assert_eq!(
            &flash.bytes.borrow()[0x400..0x40e],
            FLAGS_MAGIC,
            "flags kept"
        );
        send(bl, &[16], cmd::GET_ATTRIBUTE);
        assert_eq!(line.settle(flash), [ESCAPE, res::BADADDR]);
    }

    #[test]
    fn baud_change_is_answered_at_the_old_rate_and_verified_at_the_new() {
        let (bl, line, flash) = setup();
        send(bl, &[1, 0, 0x10, 0x0e, 0], cmd::CHANGE_BAUD_RATE); // 921600
        assert_eq!(line.settle(flash), [ESCAPE, res::OK]);
        assert_eq!(line.baud.get(), 921_600);
        send(bl, &[2, 0, 0x10, 0x0e, 0], cmd::CHANGE_BAUD_RATE);
        assert_eq!(line.settle(flash), [ESCAPE, res::OK]);
        assert_eq!(line.baud.get(), 921_600);
        // Unconfirmed: the next other command puts the old rate back.
        send(bl, &[1, 0, 0xc2, 1, 0], cmd::CHANGE_BAUD_RATE); // 115200
        line.settle(flash);
        assert_eq!(line.baud.get(), 115_200);
        send(bl, &[], cmd::PING);
        line.settle(flash);
        assert_eq!(line.baud.get(), 921_600);
        send(bl, &[1, 123, 0, 0, 0], cmd::CHANGE_BAUD_RATE);
        assert_eq!(line.settle(flash), [ESCAPE, res::CHANGE_BAUD_FAIL]);
        send(bl, &[], cmd::EXIT);
        assert!(line.exited.get());
    }
}
