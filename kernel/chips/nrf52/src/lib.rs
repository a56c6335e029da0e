//! Nordic nRF52840 and nRF52833 (Cortex-M4F at 64 MHz): clocks, UARTE console, RTC alarm,
//! TIMER counter, hardware RNG, GPIO/GPIOTE, NVMC, and interrupt dispatch.
//!
//! Facts from the nRF52840 Product Specification (sections "Memory", "Peripheral interface"
//! and "Instantiation") and the nRF52833 Product Specification: every peripheral's interrupt
//! number is its ID, bits 12-17 of its base address (POWER_CLOCK 0 at 0x40000000, UARTE0 2,
//! GPIOTE 6, TIMER0 8, RTC1 17, RNG 13); there are 48 interrupt lines. The nRF52840 has 1 MiB
//! of flash and 256 KiB of RAM, the nRF52833 512 KiB and 128 KiB (and no QSPI or CryptoCell;
//! the drivers here use neither). FICR INFO.PART at 0x10000100 reads 0x52840 or 0x52833.
//! Events are level interrupts: a line stays asserted while an enabled event register is
//! set, so each bottom half clears the events it handles before the line is re-enabled.
#![no_std]
// `map_or(false, ..)` stays: its suggested replacement (`is_some_and`) needs Rust 1.70 and the
// kernel must build with Debian's 1.63.
#![allow(unknown_lints, clippy::unnecessary_map_or)]
// `is_multiple_of` (1.87) and `div_ceil` (1.73) are newer than Debian's 1.63 as well.
#![allow(clippy::manual_is_multiple_of, clippy::manual_div_ceil)]
// Array initialisers `[CONST; N]` of non-Copy cells need a named const on Rust 1.63.
#![allow(clippy::declare_interior_mutable_const)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod clock;
pub mod gpio;
pub mod nvmc;
pub mod power;
pub mod rng;
pub mod rtc;
pub mod temp;
pub mod timer;
pub mod uarte;

use cortexm::nvic::{self, Nvic};
use kernel::platform::Chip;

/// Core clock (HCLK) with HFXO running.
pub const CPU_HZ: u32 = 64_000_000;

/// Peripheral base addresses used by the drivers.
pub mod base {
    /// CLOCK and POWER.
    pub const CLOCK: usize = 0x4000_0000;
    /// POWER (the same block as CLOCK).
    pub const POWER: usize = 0x4000_0000;
    /// UARTE0 (shares its ID with UART0).
    pub const UARTE0: usize = 0x4000_2000;
    /// GPIOTE.
    pub const GPIOTE: usize = 0x4000_6000;
    /// TIMER0.
    pub const TIMER0: usize = 0x4000_8000;
    /// RNG.
    pub const TEMP: usize = 0x4000_C000;
    pub const RNG: usize = 0x4000_D000;
    /// RTC1.
    pub const RTC1: usize = 0x4001_1000;
    /// NVMC.
    pub const NVMC: usize = 0x4001_E000;
    /// UARTE1.
    pub const UARTE1: usize = 0x4002_8000;
    /// FICR.
    pub const FICR: usize = 0x1000_0000;
}

/// Interrupt number of the peripheral at `base`: its ID.
pub const fn irq_of(base: usize) -> u32 {
    ((base >> 12) & 0x3f) as u32
}

/// POWER_CLOCK interrupt.
pub const IRQ_POWER_CLOCK: u32 = irq_of(base::CLOCK);
/// UARTE0_UART0 interrupt.
pub const IRQ_UARTE0: u32 = irq_of(base::UARTE0);
/// GPIOTE interrupt.
pub const IRQ_GPIOTE: u32 = irq_of(base::GPIOTE);
/// TIMER0 interrupt.
pub const IRQ_TIMER0: u32 = irq_of(base::TIMER0);
pub const IRQ_TEMP: u32 = irq_of(base::TEMP);
/// RNG interrupt.
pub const IRQ_RNG: u32 = irq_of(base::RNG);
/// RTC1 interrupt.
pub const IRQ_RTC1: u32 = irq_of(base::RTC1);
/// UARTE1 interrupt.
pub const IRQ_UARTE1: u32 = irq_of(base::UARTE1);
/// Interrupt lines of the chip.
pub const IRQ_LINES: u32 = 48;

/// Interrupt lines the chip services (and re-enables after servicing).
pub const SERVICED_IRQS: [u32; 5] = [IRQ_UARTE0, IRQ_GPIOTE, IRQ_TEMP, IRQ_RNG, IRQ_RTC1];

/// Differences between the two chips of the family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variant {
    /// Marketing name.
    pub name: &'static str,
    /// FICR INFO.PART.
    pub part: u32,
    /// Flash bytes at address 0.
    pub flash_size: usize,
    /// RAM bytes at 0x20000000.
    pub ram_size: usize,
}

/// nRF52840: 1 MiB flash, 256 KiB RAM.
pub const NRF52840: Variant = Variant {
    name: "nRF52840",
    part: 0x52840,
    flash_size: 1024 * 1024,
    ram_size: 256 * 1024,
};

/// nRF52833: 512 KiB flash, 128 KiB RAM.
pub const NRF52833: Variant = Variant {
    name: "nRF52833",
    part: 0x52833,
    flash_size: 512 * 1024,
    ram_size: 128 * 1024,
};

/// FICR INFO.PART of the running chip.
pub fn ficr_part() -> u32 {
    // SAFETY: FICR is read-only factory memory present on every nRF52; 0x100 is INFO.PART, an
    // aligned word inside it.
    unsafe { core::ptr::read_volatile((base::FICR + 0x100) as *const u32) }
}

/// The chip: its interrupt-driven drivers and their dispatch.
pub struct Nrf52 {
    /// UARTE0 (console).
    pub uarte0: &'static uarte::Uarte<'static>,
    /// RTC1 (alarm).
    pub rtc1: &'static rtc::RtcAlarm<'static>,
    /// RNG.
    pub rng: &'static rng::Trng<'static>,
    /// GPIOTE (buttons).
    pub gpiote: &'static gpio::Gpiote<'static>,
    pub temp: &'static temp::Temp<'static>,
}

impl Nrf52 {
    /// Enables the interrupt lines the drivers use.
    pub fn enable_interrupts(&self) {
        for irq in SERVICED_IRQS {
            Nvic(irq).clear_pending();
            Nvic(irq).enable();
        }
    }
}

impl Chip for Nrf52 {
    fn service_pending_interrupts(&self) {
        while let Some(line) = nvic::next_pending(IRQ_LINES) {
            // Clear the pending bit before the bottom half runs: an event that the device
            // raises while it runs pends the line again instead of being wiped afterwards.
            line.clear_pending();
            match line.0 {
                IRQ_UARTE0 => self.uarte0.handle_interrupt(),
                IRQ_RTC1 => self.rtc1.handle_interrupt(),
                IRQ_RNG => self.rng.handle_interrupt(),
                IRQ_GPIOTE => self.gpiote.handle_interrupt(),
                IRQ_TEMP => self.temp.handle_interrupt(),
                _ => {}
            }
            if SERVICED_IRQS.contains(&line.0) {
                line.enable();
            }
        }
        // Deferred completions (UARTE transmit, capsules) run after hardware interrupts.
        self.uarte0.service_deferred();
        kernel::deferred::service();
    }
    fn has_pending_interrupts(&self) -> bool {
        nvic::has_pending(IRQ_LINES)
            || self.uarte0.deferred_pending()
            || kernel::deferred::pending()
    }
    fn sleep(&self) {
        cortexm::interrupts::sleep_unless(|| self.has_pending_interrupts());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupt_numbers_are_peripheral_ids() {
        assert_eq!(IRQ_POWER_CLOCK, 0);
        assert_eq!(IRQ_UARTE0, 2);
        assert_eq!(IRQ_GPIOTE, 6);
        assert_eq!(IRQ_TIMER0, 8);
        assert_eq!(IRQ_RNG, 13);
        assert_eq!(IRQ_TEMP, 12);
        assert_eq!(IRQ_RTC1, 17);
        assert_eq!(IRQ_UARTE1, 40);
        assert!(SERVICED_IRQS.iter().all(|i| *i < IRQ_LINES));
    }

    #[test]
    fn variants_differ_in_memory() {
        assert_eq!(NRF52840.flash_size, 0x10_0000);
        assert_eq!(NRF52833.flash_size, 0x8_0000);
        assert_eq!(NRF52833.ram_size, 0x2_0000);
        assert_eq!(NRF52833.part, 0x52833);
    }
}
