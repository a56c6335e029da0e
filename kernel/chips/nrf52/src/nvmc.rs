//! NVMC: erasing and writing flash pages (the bootloader board installs apps with it through
//! `FlashController`, the split-phase flash HIL; the kernel boards do not use it at run time).
//!
//! Facts from the nRF52840 Product Specification, section "NVMC - Non-volatile memory
//! controller": CONFIG.WEN (bits 0-1) selects read-only (0), write (1) or erase (2); a flash
//! write only turns 1 bits into 0 bits and must be a full aligned 32-bit word; erasing a page
//! (writing its address to ERASEPAGE with CONFIG = erase) sets all its bytes to 0xFF; READY
//! (bit 0) is 1 when the NVMC is idle. Pages are 4 KiB. Writes while CONFIG is read-only are
//! ignored by the silicon, so the driver always enables, waits for READY, then returns to
//! read-only.
//!
//! The driver refuses (with an error, before touching the hardware) unaligned or out-of-range
//! addresses and words that would need a 0 bit turned back into 1 (the page must be erased
//! first), since the silicon would silently store the AND of old and new. Words that already
//! hold the value to write are skipped: the PS limits how often a word may be written between
//! two erases (n_WRITE), and rewriting a page after changing a few of its words must not spend
//! that budget on the others.
//!
//! The CPU waits while the NVMC erases or writes when it runs from flash (PS, NVMC: code
//! execution from flash stalls until the operation is done), so the operations themselves are
//! synchronous here; `FlashController` gives them the kernel's split-phase flash HIL by
//! reporting completion through a deferred call.

use cells::{OptionalCell, TakeCell};
use core::cell::Cell;
use kernel::deferred::{DeferredCall, DeferredCallClient};
use kernel::hil::flash::{Client, Flash};
use kernel::ErrorCode;
use registers::{register_block, ReadOnly, ReadWrite, StaticRef, WriteOnly};

register_block! {
    /// NVMC registers (base 0x4001E000).
    pub NvmcRegisters {
        (0x000 => _reserved0: [u32; 256]),
        (0x400 => ready: ReadOnly<u32>),
        (0x404 => _reserved1: [u32; 1]),
        (0x408 => readynext: ReadOnly<u32>),
        (0x40c => _reserved2: [u32; 62]),
        (0x504 => config: ReadWrite<u32>),
        (0x508 => erasepage: WriteOnly<u32>),
        (0x50c => eraseall: WriteOnly<u32>),
        (0x510 => erasepcr0: WriteOnly<u32>),
        (0x514 => eraseuicr: WriteOnly<u32>),
        @END = 0x518,
    }
}

/// Flash page size.
pub const PAGE_SIZE: usize = 4096;
/// CONFIG: read only.
pub const CONFIG_REN: u32 = 0;
/// CONFIG: write enabled.
pub const CONFIG_WEN: u32 = 1;
/// CONFIG: erase enabled.
pub const CONFIG_EEN: u32 = 2;

/// Polls of READY before giving up (a page erase takes up to about 85 ms).
const READY_POLLS: u32 = 20_000_000;

/// The flash controller over a flash array of `flash_size` bytes at `flash_base`.
pub struct Nvmc {
    regs: StaticRef<NvmcRegisters>,
    flash_base: usize,
    flash_size: usize,
}

impl Nvmc {
    /// The NVMC at `base` managing `flash_size` bytes of flash at `flash_base`.
    ///
    /// # Safety
    /// `base` must be the NVMC, used only by this driver, and `[flash_base, flash_base +
    /// flash_size)` the flash it controls (readable memory). Nothing may hold a reference to
    /// flash bytes that a later write or erase changes.
    pub const unsafe fn new(base: usize, flash_base: usize, flash_size: usize) -> Self {
        Nvmc {
            // SAFETY: forwarded from this function's contract.
            regs: unsafe { StaticRef::new(base) },
            flash_base,
            flash_size,
        }
    }

    fn wait_ready(&self) -> Result<(), ErrorCode> {
        for _ in 0..READY_POLLS {
            if self.regs.ready.get() & 1 != 0 {
                return Ok(());
            }
        }
        Err(ErrorCode::Busy)
    }

    /// Checks that `[offset, offset + len)` lies in flash with `offset` aligned to `align`.
    pub fn check_range(&self, offset: usize, len: usize, align: usize) -> Result<(), ErrorCode> {
        if offset % align != 0 {
            return Err(ErrorCode::Invalid);
        }
        match offset.checked_add(len) {
            Some(end) if end <= self.flash_size => Ok(()),
            _ => Err(ErrorCode::Size),
        }
    }

    fn read_word(&self, offset: usize) -> u32 {
        // SAFETY: callers checked `offset` (aligned, in range) against the flash the
        // constructor's contract names as readable.
        unsafe { core::ptr::read_volatile((self.flash_base + offset) as *const u32) }
    }

    /// Erases the page at byte `offset` into flash (page aligned) to all 0xFF.
    pub fn erase_page(&self, offset: usize) -> Result<(), ErrorCode> {
        self.check_range(offset, PAGE_SIZE, PAGE_SIZE)?;
        self.wait_ready()?;
        self.regs.config.set(CONFIG_EEN);
        self.regs.erasepage.set((self.flash_base + offset) as u32);
        let r = self.wait_ready();
        self.regs.config.set(CONFIG_REN);
        r
    }

    /// Writes `words` at byte `offset` into flash (word aligned). Refused with `Invalid` if a
    /// word would need a 0 bit set back to 1 (erase the page first).
    pub fn write_words(&self, offset: usize, words: &[u32]) -> Result<(), ErrorCode> {
        self.write_iter(offset, words.len(), |i| words[i])
    }

    /// Writes `bytes` (a whole number of words) at byte `offset` into flash (word aligned),
    /// with the same rules as `write_words`.
    pub fn write_bytes(&self, offset: usize, bytes: &[u8]) -> Result<(), ErrorCode> {
        if bytes.len() % 4 != 0 {
            return Err(ErrorCode::Size);
        }
        self.write_iter(offset, bytes.len() / 4, |i| {
            u32::from_le_bytes([
                bytes[4 * i],
                bytes[4 * i + 1],
                bytes[4 * i + 2],
                bytes[4 * i + 3],
            ])
        })
    }

    fn write_iter(
        &self,
        offset: usize,
        count: usize,
        word: impl Fn(usize) -> u32,
    ) -> Result<(), ErrorCode> {
        self.check_range(offset, count * 4, 4)?;
        for i in 0..count {
            let w = word(i);
            if self.read_word(offset + 4 * i) & w != w {
                return Err(ErrorCode::Invalid);
            }
        }
        self.wait_ready()?;
        self.regs.config.set(CONFIG_WEN);
        let mut result = Ok(());
        for i in 0..count {
            let w = word(i);
            if self.read_word(offset + 4 * i) == w {
                continue;
            }
            // SAFETY: the range was checked to lie inside the flash this driver controls
            // (constructor contract), the address is word aligned, and writes are enabled.
            unsafe { core::ptr::write_volatile((self.flash_base + offset + 4 * i) as *mut u32, w) };
            result = self.wait_ready();
            if result.is_err() {
                break;
            }
        }
        self.regs.config.set(CONFIG_REN);
        result
    }

    /// Copies flash bytes at `offset` into `buf`.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result<(), ErrorCode> {
        self.check_range(offset, buf.len(), 1)?;
        for (i, b) in buf.iter_mut().enumerate() {
            // SAFETY: the range was checked against the readable flash the constructor's
            // contract names; a byte read has no alignment requirement.
            *b = unsafe { core::ptr::read_volatile((self.flash_base + offset + i) as *const u8) };
        }
        Ok(())
    }

    /// Bytes of flash this driver manages.
    pub fn size(&self) -> usize {
        self.flash_size
    }
}

/// What the deferred call reports.
#[derive(Clone, Copy)]
enum Finished {
    Erase(Result<(), ErrorCode>),
    Write(Result<(), ErrorCode>),
}

/// The NVMC behind the kernel's split-phase flash HIL: the operation runs when started and its
/// completion reaches the client from the kernel loop (a deferred call).
pub struct FlashController<'a> {
    nvmc: Nvmc,
    client: OptionalCell<&'a dyn Client>,
    deferred: OptionalCell<DeferredCall>,
    finished: Cell<Option<Finished>>,
    buffer: TakeCell<'static, [u8]>,
}

impl<'a> FlashController<'a> {
    /// The HIL over `nvmc`; call `register` once it is in a static.
    pub fn new(nvmc: Nvmc) -> Self {
        FlashController {
            nvmc,
            client: OptionalCell::empty(),
            deferred: OptionalCell::empty(),
            finished: Cell::new(None),
            buffer: TakeCell::empty(),
        }
    }

    fn start(&self, done: Finished) -> Result<(), ErrorCode> {
        let call = self.deferred.get().ok_or(ErrorCode::Off)?;
        self.finished.set(Some(done));
        call.set();
        Ok(())
    }
}

impl FlashController<'static> {
    /// Registers the deferred call that delivers completions.
    pub fn register(&'static self) -> Result<(), ErrorCode> {
        let call = DeferredCall::register(self).ok_or(ErrorCode::NoMem)?;
        self.deferred.set(call);
        Ok(())
    }
}

impl<'a> Flash<'a> for FlashController<'a> {
    fn set_flash_client(&self, client: &'a dyn Client) {
        self.client.set(client);
    }
    fn size(&self) -> usize {
        self.nvmc.size()
    }
    fn page_size(&self) -> usize {
        PAGE_SIZE
    }
    fn read(&self, address: usize, buf: &mut [u8]) -> Result<(), ErrorCode> {
        self.nvmc.read(address, buf)
    }
    fn erase_page(&self, address: usize) -> Result<(), ErrorCode> {
        if self.finished.get().is_some() {
            return Err(ErrorCode::Busy);
        }
        self.nvmc.check_range(address, PAGE_SIZE, PAGE_SIZE)?;
        let r = self.nvmc.erase_page(address);
        self.start(Finished::Erase(r))
    }
    fn write(
        &self,
        address: usize,
        buffer: &'static mut [u8],
        len: usize,
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if self.finished.get().is_some() {
            return Err((ErrorCode::Busy, buffer));
        }
        if len > buffer.len() || len % 4 != 0 {
            return Err((ErrorCode::Size, buffer));
        }
        let r = self.nvmc.write_bytes(address, &buffer[..len]);
        if let Err(e @ (ErrorCode::Invalid | ErrorCode::Size)) = r {
            // Refused before anything was written (alignment, range, a word needing an erase).
            return Err((e, buffer));
        }
        self.buffer.replace(buffer);
        match self.start(Finished::Write(r)) {
            Ok(()) => Ok(()),
            Err(e) => Err((e, self.buffer.take().unwrap_or(&mut []))),
        }
    }
}

impl DeferredCallClient for FlashController<'static> {
    fn handle_deferred_call(&self) {
        match self.finished.take() {
            Some(Finished::Erase(r)) => {
                self.client.map(|c| c.erase_done(r));
            }
            Some(Finished::Write(r)) => {
                if let Some(b) = self.buffer.take() {
                    self.client.map(|c| c.write_done(b, r));
                }
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::boxed::Box;
    use std::vec;
    use std::vec::Vec;

    struct Fake {
        regs: Box<[u32; 0x518 / 4]>,
        flash: Vec<u32>,
    }

    fn fake() -> (Fake, Nvmc) {
        let mut f = Fake {
            regs: Box::new([0u32; 0x518 / 4]),
            flash: vec![0xffff_ffff; 2 * PAGE_SIZE / 4],
        };
        // READY.
        f.regs[0x400 / 4] = 1;
        // SAFETY: both boxes outlive the driver in each test (returned together).
        let n = unsafe {
            Nvmc::new(
                f.regs.as_mut_ptr() as usize,
                f.flash.as_mut_ptr() as usize,
                2 * PAGE_SIZE,
            )
        };
        (f, n)
    }

    #[test]
    fn writes_words_and_returns_to_read_only() {
        let (f, n) = fake();
        assert_eq!(n.write_words(8, &[0x1234_5678, 0]), Ok(()));
        assert_eq!(f.flash[2], 0x1234_5678);
        assert_eq!(f.flash[3], 0);
        assert_eq!(f.regs[0x504 / 4], CONFIG_REN);
        // Clearing more bits is allowed without an erase.
        assert_eq!(n.write_words(8, &[0x1030_5070]), Ok(()));
    }

    #[test]
    fn refuses_bad_input_before_touching_hardware() {
        let (f, n) = fake();
        assert_eq!(n.write_words(2, &[0]), Err(ErrorCode::Invalid), "unaligned");
        assert_eq!(
            n.write_words(2 * PAGE_SIZE - 4, &[0, 0]),
            Err(ErrorCode::Size),
            "past the end"
        );
        assert_eq!(n.write_words(usize::MAX - 3, &[0]), Err(ErrorCode::Size));
        assert_eq!(
            n.erase_page(100),
            Err(ErrorCode::Invalid),
            "not page aligned"
        );
        assert_eq!(n.erase_page(2 * PAGE_SIZE), Err(ErrorCode::Size));
        assert_eq!(f.regs[0x504 / 4], CONFIG_REN);
        assert_eq!(f.regs[0x508 / 4], 0, "no erase issued");
        assert!(f.flash.iter().all(|w| *w == 0xffff_ffff));
    }

    #[test]
    fn a_zero_bit_cannot_become_one_without_erase() {
        let (f, n) = fake();
        n.write_words(0, &[0x0000_ffff]).unwrap();
        assert_eq!(n.write_words(0, &[0xffff_0000]), Err(ErrorCode::Invalid));
        assert_eq!(f.flash[0], 0x0000_ffff, "unchanged");
    }

    #[test]
    fn erase_names_the_page_address() {
        let (f, n) = fake();
        assert_eq!(n.erase_page(PAGE_SIZE), Ok(()));
        let expected = (f.flash.as_ptr() as usize + PAGE_SIZE) as u32;
        assert_eq!(f.regs[0x508 / 4], expected);
        assert_eq!(f.regs[0x504 / 4], CONFIG_REN);
    }

    #[test]
    fn write_bytes_skips_words_that_already_hold_their_value() {
        let (f, n) = fake();
        n.write_words(0, &[0x1234_5678]).unwrap();
        // A word equal to what flash holds is not written again (it would spend n_WRITE).
        let mut bytes = [0xffu8; 8];
        bytes[..4].copy_from_slice(&0x1234_5678u32.to_le_bytes());
        bytes[4..].copy_from_slice(&0x0000_00ffu32.to_le_bytes());
        assert_eq!(n.write_bytes(0, &bytes), Ok(()));
        assert_eq!(f.flash[0], 0x1234_5678);
        assert_eq!(f.flash[1], 0x0000_00ff);
        assert_eq!(
            n.write_bytes(0, &[0, 0, 0]),
            Err(ErrorCode::Size),
            "whole words only"
        );
        let mut back = [0u8; 6];
        assert_eq!(n.read(2, &mut back), Ok(()));
        assert_eq!(back, [0x34, 0x12, 0xff, 0, 0, 0]);
        let mut past = [0u8; 4];
        assert_eq!(n.read(2 * PAGE_SIZE - 2, &mut past), Err(ErrorCode::Size));
    }

    #[test]
    fn busy_controller_times_out() {
        let (mut f, n) = fake();
        f.regs[0x400 / 4] = 0;
        assert_eq!(n.erase_page(0), Err(ErrorCode::Busy));
        assert_eq!(f.regs[0x508 / 4], 0);
    }
}
