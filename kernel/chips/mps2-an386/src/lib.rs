//! QEMU's mps2-an386 (Cortex-M4, CMSDK peripherals): UART console and timer-backed alarm.
//!
//! Peripheral facts (QEMU 7.2 `hw/arm/mps2.c`): UART0 at 0x40004000 with its RX interrupt
//! on IRQ 0 and TX on IRQ 1; CMSDK timers at 0x40000000 (IRQ 8) and 0x40001000 (IRQ 9),
//! both clocked at the 25 MHz system clock. Timer 1 free-runs as the 32-bit tick counter;
//! timer 0 is a one-shot that fires the alarm. UART transmit is a short busy-wait per byte
//! (QEMU's UART never stalls) followed by a deferred completion, so the HIL stays
//! split-phase for capsules.
#![no_std]
// `map_or(false, ..)` stays: its suggested replacement (`is_some_and`) needs Rust 1.70 and the
// kernel must build with Debian's 1.63.
#![allow(unknown_lints, clippy::unnecessary_map_or)]
// `is_multiple_of` (1.87) and `div_ceil` (1.73) are newer than Debian's 1.63 as well.
#![allow(clippy::manual_is_multiple_of, clippy::manual_div_ceil)]
// Array initialisers `[CONST; N]` of non-Copy cells need a named const on Rust 1.63.
#![allow(clippy::declare_interior_mutable_const)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod timer;
pub mod uart;

use cortexm::nvic::{self, Nvic};
use kernel::platform::Chip;

/// System clock of the board.
pub const SYSCLK_HZ: u32 = 25_000_000;
/// UART0 receive interrupt.
pub const IRQ_UART0_RX: u32 = 0;
/// UART0 transmit interrupt.
pub const IRQ_UART0_TX: u32 = 1;
/// Timer 0 interrupt.
pub const IRQ_TIMER0: u32 = 8;
/// Timer 1 interrupt.
pub const IRQ_TIMER1: u32 = 9;
/// Interrupt lines scanned.
pub const IRQ_LINES: u32 = 32;

/// The chip: its drivers and interrupt dispatch.
pub struct Mps2 {
    /// UART0.
    pub uart0: &'static uart::CmsdkUart<'static>,
    /// The alarm (timers 0 and 1).
    pub alarm: &'static timer::CmsdkAlarm<'static>,
}

impl Mps2 {
    /// Enables the interrupt lines the drivers use.
    pub fn enable_interrupts(&self) {
        for irq in [IRQ_UART0_RX, IRQ_TIMER0] {
            Nvic(irq).clear_pending();
            Nvic(irq).enable();
        }
    }
}

impl Chip for Mps2 {
    fn service_pending_interrupts(&self) {
        while let Some(line) = nvic::next_pending(IRQ_LINES) {
            match line.0 {
                IRQ_UART0_RX => self.uart0.handle_rx_interrupt(),
                IRQ_TIMER0 => self.alarm.handle_interrupt(),
                _ => {}
            }
            line.clear_pending();
            if matches!(line.0, IRQ_UART0_RX | IRQ_TIMER0) {
                line.enable();
            }
        }
        // The vector table's lines past this chip's 32 (none is enabled, and a line pending
        // there is served by nobody): cleared, so the SysTick handler's switch, which checks
        // every vector-table line, does not send each timeslice's end to the kernel thread.
        nvic::clear_pending_from(IRQ_LINES);
        // Deferred completions (UART transmit, RNG) run after hardware interrupts.
        self.uart0.service_deferred();
        kernel::deferred::service();
    }
    fn has_pending_interrupts(&self) -> bool {
        nvic::has_pending(IRQ_LINES) || self.uart0.deferred_pending() || kernel::deferred::pending()
    }
    fn sleep(&self) {
        cortexm::interrupts::sleep_unless(|| self.has_pending_interrupts());
    }
}
