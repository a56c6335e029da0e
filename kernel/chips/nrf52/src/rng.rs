//! RNG: the hardware random number generator behind `kernel::hil::rng`.
//!
//! Facts from the nRF52840 Product Specification, section "RNG - Random number generator":
//! START begins generation; each new byte in VALUE (bits 0-7) raises VALRDY; CONFIG.DERCEN
//! (bit 0) turns on the digital bias correction, which makes the bits uniform at the cost of
//! a longer, variable time per byte. INTEN bit 0 is VALRDY.
//!
//! Bias correction is always on. Four bytes make a word; each word goes to the client from
//! the interrupt's bottom half, never from `get` itself (split phase).

use cells::OptionalCell;
use core::cell::Cell;
use kernel::hil::rng::{Client, Continue, Rng};
use kernel::ErrorCode;
use registers::{register_block, ReadOnly, ReadWrite, StaticRef, WriteOnly};

register_block! {
    /// RNG registers.
    pub RngRegisters {
        (0x000 => tasks_start: WriteOnly<u32>),
        (0x004 => tasks_stop: WriteOnly<u32>),
        (0x008 => _reserved0: [u32; 62]),
        (0x100 => events_valrdy: ReadWrite<u32>),
        (0x104 => _reserved1: [u32; 63]),
        (0x200 => shorts: ReadWrite<u32>),
        (0x204 => _reserved2: [u32; 64]),
        (0x304 => intenset: ReadWrite<u32>),
        (0x308 => intenclr: ReadWrite<u32>),
        (0x30c => _reserved3: [u32; 126]),
        (0x504 => config: ReadWrite<u32>),
        (0x508 => value: ReadOnly<u32>),
        @END = 0x50c,
    }
}

/// CONFIG.DERCEN.
pub const CONFIG_DERCEN: u32 = 1;
/// INTEN bit of VALRDY.
pub const INT_VALRDY: u32 = 1;

/// Collects bytes into little-endian words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WordBuilder {
    word: u32,
    bytes: u8,
}

impl WordBuilder {
    /// Adds a byte; returns the word once it has four.
    pub fn push(&mut self, b: u8) -> Option<u32> {
        self.word |= (b as u32) << (8 * self.bytes as u32);
        self.bytes += 1;
        if self.bytes == 4 {
            let w = self.word;
            *self = WordBuilder::default();
            Some(w)
        } else {
            None
        }
    }
}

/// The hardware RNG.
pub struct Trng<'a> {
    regs: StaticRef<RngRegisters>,
    client: OptionalCell<&'a dyn Client>,
    running: Cell<bool>,
    builder: Cell<WordBuilder>,
}

impl<'a> Trng<'a> {
    /// The RNG at `base`.
    ///
    /// # Safety
    /// `base` must be the RNG (0x4000D000) and only this driver may use it.
    pub const unsafe fn new(base: usize) -> Self {
        Trng {
            // SAFETY: forwarded from this function's contract.
            regs: unsafe { StaticRef::new(base) },
            client: OptionalCell::empty(),
            running: Cell::new(false),
            builder: Cell::new(WordBuilder { word: 0, bytes: 0 }),
        }
    }

    fn stop(&self) {
        self.regs.tasks_stop.set(1);
        self.regs.intenclr.set(INT_VALRDY);
        self.running.set(false);
    }

    /// Bottom half of the RNG interrupt.
    pub fn handle_interrupt(&self) {
        if self.regs.events_valrdy.get() == 0 {
            return;
        }
        self.regs.events_valrdy.set(0);
        if !self.running.get() {
            return;
        }
        let mut b = self.builder.get();
        let word = b.push(self.regs.value.get() as u8);
        self.builder.set(b);
        if let Some(w) = word {
            let more = self.client.map_or(Continue::Done, |c| {
                c.randomness_available(&mut core::iter::once(w), Ok(()))
            });
            if more == Continue::Done {
                self.stop();
            }
        }
    }
}

impl<'a> Rng<'a> for Trng<'a> {
    fn get(&self) -> Result<(), ErrorCode> {
        if self.running.get() {
            return Ok(());
        }
        self.running.set(true);
        self.builder.set(WordBuilder::default());
        self.regs.config.set(CONFIG_DERCEN);
        self.regs.shorts.set(0);
        self.regs.events_valrdy.set(0);
        self.regs.intenset.set(INT_VALRDY);
        self.regs.tasks_start.set(1);
        Ok(())
    }
    fn cancel(&self) -> Result<(), ErrorCode> {
        self.stop();
        Ok(())
    }
    fn set_client(&'a self, client: &'a dyn Client) {
        self.client.set(client);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::boxed::Box;

    #[test]
    fn bytes_make_little_endian_words() {
        let mut b = WordBuilder::default();
        assert_eq!(b.push(0x11), None);
        assert_eq!(b.push(0x22), None);
        assert_eq!(b.push(0x33), None);
        assert_eq!(b.push(0x44), Some(0x4433_2211));
        assert_eq!(b.push(0xff), None, "starts a fresh word");
    }

    #[test]
    fn delivers_a_word_per_four_bytes_with_bias_correction_on() {
        struct Words(Cell<u32>, Cell<u32>);
        impl Client for Words {
            fn randomness_available(
                &self,
                r: &mut dyn Iterator<Item = u32>,
                _e: Result<(), ErrorCode>,
            ) -> Continue {
                self.0.set(r.next().unwrap_or(0));
                self.1.set(self.1.get() + 1);
                if self.1.get() < 2 {
                    Continue::More
                } else {
                    Continue::Done
                }
            }
        }
        let client: &'static Words = Box::leak(Box::new(Words(Cell::new(0), Cell::new(0))));
        let mem: &'static mut [u32; 0x50c / 4] = Box::leak(Box::new([0u32; 0x50c / 4]));
        let base = mem.as_mut_ptr() as usize;
        // SAFETY: the leaked block lives forever and is laid out as `RngRegisters`.
        let rng: &'static Trng = Box::leak(Box::new(unsafe { Trng::new(base) }));
        rng.set_client(client);
        rng.get().unwrap();
        let reg = |off: usize| base + off;
        // SAFETY: offsets inside the leaked block.
        let peek = |off: usize| unsafe { core::ptr::read_volatile(reg(off) as *const u32) };
        // SAFETY: offsets inside the leaked block.
        let poke =
            |off: usize, v: u32| unsafe { core::ptr::write_volatile(reg(off) as *mut u32, v) };
        assert_eq!(peek(0x504), CONFIG_DERCEN);
        assert_eq!(peek(0x000), 1, "started");
        assert_eq!(peek(0x304), INT_VALRDY);
        for (i, b) in [1u32, 2, 3, 4, 5, 6, 7, 8].iter().enumerate() {
            poke(0x508, *b);
            poke(0x100, 1);
            rng.handle_interrupt();
            assert_eq!(peek(0x100), 0, "VALRDY cleared");
            if i == 3 {
                assert_eq!(client.0.get(), 0x0403_0201);
            }
        }
        assert_eq!(client.0.get(), 0x0807_0605);
        assert_eq!(client.1.get(), 2);
        assert_eq!(peek(0x004), 1, "stopped once the client is done");
        assert_eq!(peek(0x308), INT_VALRDY);
    }
}
