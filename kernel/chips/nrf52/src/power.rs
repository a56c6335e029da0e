//! POWER: the reset reason and the general-purpose retention registers.
//!
//! Facts from the nRF52840 Product Specification, section "POWER - Power supply": RESETREAS
//! (0x400) records why the chip reset (bit 0 RESETPIN, bit 1 DOG, bit 2 SREQ for a soft reset,
//! bit 3 LOCKUP), each bit cleared by writing 1 to it; GPREGRET (0x51C) and GPREGRET2 (0x520)
//! hold 8 bits each that survive every reset except a power-on or brown-out reset, so firmware
//! can leave a word for the code that runs after the reset (our bootloader reads GPREGRET to
//! know it was asked to stay).

use registers::{register_block, ReadWrite, StaticRef};

register_block! {
    /// POWER registers used here (base 0x40000000, shared with CLOCK).
    pub PowerRegisters {
        (0x000 => _reserved0: [u32; 256]),
        (0x400 => resetreas: ReadWrite<u32>),
        (0x404 => _reserved1: [u32; 70]),
        (0x51c => gpregret: ReadWrite<u32>),
        (0x520 => gpregret2: ReadWrite<u32>),
        @END = 0x524,
    }
}

/// RESETREAS: soft reset (SYSRESETREQ).
pub const RESETREAS_SREQ: u32 = 1 << 2;

/// The POWER block.
pub struct Power {
    regs: StaticRef<PowerRegisters>,
}

impl Power {
    /// POWER at `base`.
    ///
    /// # Safety
    /// `base` must be the POWER block (0x40000000), and no other driver may use GPREGRET or
    /// RESETREAS.
    pub const unsafe fn new(base: usize) -> Self {
        Power {
            // SAFETY: forwarded from this function's contract.
            regs: unsafe { StaticRef::new(base) },
        }
    }

    /// GPREGRET's 8 bits.
    pub fn gpregret(&self) -> u8 {
        (self.regs.gpregret.get() & 0xff) as u8
    }

    /// Sets GPREGRET (kept across resets other than power-on).
    pub fn set_gpregret(&self, value: u8) {
        self.regs.gpregret.set(value as u32);
    }

    /// RESETREAS as recorded.
    pub fn reset_reason(&self) -> u32 {
        self.regs.resetreas.get()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::boxed::Box;

    #[test]
    fn gpregret_is_eight_bits_at_0x51c() {
        let mem: &'static mut [u32; 0x524 / 4] = Box::leak(Box::new([0u32; 0x524 / 4]));
        let base = mem.as_mut_ptr() as usize;
        // SAFETY: the leaked block lives forever and is laid out as `PowerRegisters`.
        let p = unsafe { Power::new(base) };
        p.set_gpregret(0xb1);
        // SAFETY: 0x51C lies inside the leaked block, aligned for a u32.
        let raw = unsafe { core::ptr::read_volatile((base + 0x51c) as *const u32) };
        assert_eq!(raw, 0xb1);
        assert_eq!(p.gpregret(), 0xb1);
    }
}
