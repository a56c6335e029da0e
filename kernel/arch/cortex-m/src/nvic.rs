//! Nested Vectored Interrupt Controller: enable, disable and pending state of IRQ lines.
//!
//! Interrupt handlers (`cm_generic_isr`) disable their line and mark it pending; the kernel
//! loop finds pending lines with `next_pending`, lets the chip service the device, then
//! clears and re-enables the line.

use registers::{register_block, ReadWrite, StaticRef};

register_block! {
    /// NVIC registers (from 0xE000E100).
    pub NvicRegisters {
        (0x000 => iser: [ReadWrite<u32>; 8]),
        (0x020 => _reserved0: [u32; 24]),
        (0x080 => icer: [ReadWrite<u32>; 8]),
        (0x0a0 => _reserved1: [u32; 24]),
        (0x100 => ispr: [ReadWrite<u32>; 8]),
        (0x120 => _reserved2: [u32; 24]),
        (0x180 => icpr: [ReadWrite<u32>; 8]),
        @END = 0x1a0,
    }
}

// SAFETY: 0xE000E100 is the architectural NVIC base on every ARMv7-M core.
const NVIC: StaticRef<NvicRegisters> = unsafe { StaticRef::new(0xE000_E100) };

/// One interrupt line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nvic(pub u32);

impl Nvic {
    fn idx(self) -> (usize, u32) {
        ((self.0 / 32) as usize, 1 << (self.0 % 32))
    }
    /// Unmasks the line.
    pub fn enable(self) {
        let (i, b) = self.idx();
        NVIC.iser[i].set(b);
    }
    /// Masks the line.
    pub fn disable(self) {
        let (i, b) = self.idx();
        NVIC.icer[i].set(b);
    }
    /// Clears its pending state.
    pub fn clear_pending(self) {
        let (i, b) = self.idx();
        NVIC.icpr[i].set(b);
    }
}

/// Clears the pending state of every vector-table line from `first` on (`crate::IRQS` lines
/// in all). A chip that serves fewer lines than the vector table has calls it as it services
/// its own: nothing would ever clear a line it does not serve, and the SysTick handler's
/// context switch, which checks every vector-table line, would leave each timeslice's end to
/// the kernel thread while one stays pending.
pub fn clear_pending_from(first: u32) {
    let mut line = first;
    while line < crate::IRQS as u32 {
        let bit = line % 32;
        NVIC.icpr[(line / 32) as usize].set(!0u32 << bit);
        line += 32 - bit;
    }
}

/// The lowest pending line among the first `lines`, if any.
pub fn next_pending(lines: u32) -> Option<Nvic> {
    for i in 0..((lines + 31) / 32) as usize {
        let p = NVIC.ispr[i].get();
        if p != 0 {
            return Some(Nvic(i as u32 * 32 + p.trailing_zeros()));
        }
    }
    None
}

/// True when any line is pending among the first `lines`.
#[inline]
pub fn has_pending(lines: u32) -> bool {
    // The OR of the pending words, no search for the lowest line: the kernel loop and the
    // SysTick handler's switch ask this before every switch to a process. The first two words
    // (64 lines, every chip's) unrolled; a loop only past them.
    let mut any = NVIC.ispr[0].get();
    if lines > 32 {
        any |= NVIC.ispr[1].get();
    }
    let mut i = 2;
    while i < ((lines + 31) / 32) as usize {
        any |= NVIC.ispr[i].get();
        i += 1;
    }
    any != 0
}
