//! TIMER as a free-running 32-bit counter at 1 MHz (for the board's own timing needs).
//!
//! Facts from the nRF52840 Product Specification, section "TIMER - Timer/counter": the timer
//! counts f = 16 MHz / 2^PRESCALER in Timer mode (MODE 0); BITMODE 3 makes it 32 bits wide;
//! CAPTURE[n] copies the counter into CC[n]; CLEAR zeroes it. TIMER0-2 have four CC
//! registers, TIMER3-4 six. The counter itself is not readable: it is captured.

use kernel::hil::time::Time;
use registers::{register_block, ReadWrite, StaticRef, WriteOnly};

register_block! {
    /// TIMER registers (room for six CC; TIMER0-2 implement four).
    pub TimerRegisters {
        (0x000 => tasks_start: WriteOnly<u32>),
        (0x004 => tasks_stop: WriteOnly<u32>),
        (0x008 => tasks_count: WriteOnly<u32>),
        (0x00c => tasks_clear: WriteOnly<u32>),
        (0x010 => tasks_shutdown: WriteOnly<u32>),
        (0x014 => _reserved0: [u32; 11]),
        (0x040 => tasks_capture: [WriteOnly<u32>; 6]),
        (0x058 => _reserved1: [u32; 58]),
        (0x140 => events_compare: [ReadWrite<u32>; 6]),
        (0x158 => _reserved2: [u32; 42]),
        (0x200 => shorts: ReadWrite<u32>),
        (0x204 => _reserved3: [u32; 64]),
        (0x304 => intenset: ReadWrite<u32>),
        (0x308 => intenclr: ReadWrite<u32>),
        (0x30c => _reserved4: [u32; 126]),
        (0x504 => mode: ReadWrite<u32>),
        (0x508 => bitmode: ReadWrite<u32>),
        (0x50c => _reserved5: [u32; 1]),
        (0x510 => prescaler: ReadWrite<u32>),
        (0x514 => _reserved6: [u32; 11]),
        (0x540 => cc: [ReadWrite<u32>; 6]),
        @END = 0x558,
    }
}

/// Base clock of every TIMER.
pub const TIMER_BASE_HZ: u32 = 16_000_000;
/// PRESCALER for 1 MHz.
pub const PRESCALER_1MHZ: u32 = 4;
/// BITMODE value for 32 bits.
pub const BITMODE_32: u32 = 3;
/// Capture channel the counter uses (the last one every instance has).
pub const CAPTURE_CHANNEL: usize = 3;

/// A TIMER counting microseconds.
pub struct FreeTimer {
    regs: StaticRef<TimerRegisters>,
}

impl FreeTimer {
    /// The TIMER at `base`.
    ///
    /// # Safety
    /// `base` must be a TIMER instance used by nothing else.
    pub const unsafe fn new(base: usize) -> Self {
        FreeTimer {
            // SAFETY: forwarded from this function's contract.
            regs: unsafe { StaticRef::new(base) },
        }
    }

    /// Starts counting from 0 at 1 MHz, 32 bits wide, no interrupts.
    pub fn init(&self) {
        self.regs.tasks_stop.set(1);
        self.regs.intenclr.set(u32::MAX);
        self.regs.shorts.set(0);
        self.regs.mode.set(0);
        self.regs.bitmode.set(BITMODE_32);
        self.regs.prescaler.set(PRESCALER_1MHZ);
        self.regs.tasks_clear.set(1);
        self.regs.tasks_start.set(1);
    }
}

impl Time for FreeTimer {
    fn frequency(&self) -> u32 {
        TIMER_BASE_HZ >> PRESCALER_1MHZ
    }
    fn now(&self) -> u32 {
        self.regs.tasks_capture[CAPTURE_CHANNEL].set(1);
        self.regs.cc[CAPTURE_CHANNEL].get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_megahertz_32_bit_and_capture_then_read() {
        let mut mem = [0u32; 0x558 / 4];
        // SAFETY: `mem` outlives `t` and is laid out as `TimerRegisters`.
        let t = unsafe { FreeTimer::new(mem.as_mut_ptr() as usize) };
        t.init();
        assert_eq!(t.frequency(), 1_000_000);
        assert_eq!(mem[0x508 / 4], 3);
        assert_eq!(mem[0x510 / 4], 4);
        assert_eq!(mem[0], 1, "started");
        mem[0x540 / 4 + CAPTURE_CHANNEL] = 1234;
        assert_eq!(t.now(), 1234);
        assert_eq!(mem[0x040 / 4 + CAPTURE_CHANNEL], 1, "captured first");
    }
}
