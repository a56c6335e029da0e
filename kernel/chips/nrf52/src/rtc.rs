//! RTC as the kernel's alarm: a 24-bit counter at 32768 Hz, extended to the 32 bits the time
//! HIL wraps at by counting OVRFLW events.
//!
//! Facts from the nRF52840 Product Specification, section "RTC - Real-time counter": COUNTER
//! is 24 bits and counts LFCLK / (PRESCALER + 1); OVRFLW is generated when it wraps from
//! 0xFFFFFF to 0; COMPARE[n] when COUNTER equals CC[n]. An event is generated when it is
//! enabled in EVTEN or INTEN. Writing N or N+1 to CC[n] while COUNTER is N may not give a
//! COMPARE event, so the driver never sets a compare closer than `MIN_AHEAD` ticks.
//! INTEN bits: TICK 0, OVRFLW 1, COMPARE[n] 16 + n.
//!
//! The 32-bit time is (overflows << 24) | COUNTER. `now` absorbs a pending OVRFLW event into
//! the overflow count before reading COUNTER and re-checks it afterwards, so a wrap between
//! the two reads is never mixed up. The OVRFLW interrupt is enabled so the count stays right
//! when nothing asks for the time for longer than one wrap (512 s).

use cells::OptionalCell;
use core::cell::Cell;
use kernel::hil::time::{Alarm, AlarmClient, AlarmState, Time};
use registers::{bitfields, register_block, ReadOnly, ReadWrite, StaticRef, WriteOnly};

bitfields! {
    /// INTENSET/INTENCLR and EVTEN/EVTENSET/EVTENCLR.
    pub mod Int {
        /// TICK event.
        TICK: 0, 1;
        /// OVRFLW event.
        OVRFLW: 1, 1;
        /// COMPARE[0] event.
        COMPARE0: 16, 1;
    }
}

register_block! {
    /// RTC registers (RTC1 and RTC2 have four CC registers, RTC0 three).
    pub RtcRegisters {
        (0x000 => tasks_start: WriteOnly<u32>),
        (0x004 => tasks_stop: WriteOnly<u32>),
        (0x008 => tasks_clear: WriteOnly<u32>),
        (0x00c => tasks_trigovrflw: WriteOnly<u32>),
        (0x010 => _reserved0: [u32; 60]),
        (0x100 => events_tick: ReadWrite<u32>),
        (0x104 => events_ovrflw: ReadWrite<u32>),
        (0x108 => _reserved1: [u32; 14]),
        (0x140 => events_compare: [ReadWrite<u32>; 4]),
        (0x150 => _reserved2: [u32; 109]),
        (0x304 => intenset: ReadWrite<u32, Int::Register>),
        (0x308 => intenclr: ReadWrite<u32, Int::Register>),
        (0x30c => _reserved3: [u32; 13]),
        (0x340 => evten: ReadWrite<u32, Int::Register>),
        (0x344 => evtenset: ReadWrite<u32, Int::Register>),
        (0x348 => evtenclr: ReadWrite<u32, Int::Register>),
        (0x34c => _reserved4: [u32; 110]),
        (0x504 => counter: ReadOnly<u32>),
        (0x508 => prescaler: ReadWrite<u32>),
        (0x50c => _reserved5: [u32; 13]),
        (0x540 => cc: [ReadWrite<u32>; 4]),
        @END = 0x550,
    }
}

/// RTC tick rate with PRESCALER 0.
pub const RTC_HZ: u32 = 32_768;
/// COUNTER and CC width.
pub const COUNTER_MASK: u32 = 0x00ff_ffff;
/// Nearest compare the driver programs, in ticks from the counter it just read.
pub const MIN_AHEAD: u32 = 3;
/// Farthest compare: half the 24-bit range, so a compare is never mistaken for one a wrap
/// away; longer alarms take several compares.
pub const MAX_AHEAD: u32 = 0x0080_0000;

/// Ticks from now to program the compare for an alarm `left` ticks away (`time::remaining`:
/// 0 once expired, which gets the nearest compare).
pub fn compare_distance(left: u32) -> u32 {
    left.clamp(MIN_AHEAD, MAX_AHEAD)
}

/// The RTC-backed alarm.
pub struct RtcAlarm<'a> {
    regs: StaticRef<RtcRegisters>,
    overflows: Cell<u32>,
    client: OptionalCell<&'a dyn AlarmClient>,
    state: AlarmState,
}

impl<'a> RtcAlarm<'a> {
    /// The RTC at `base`.
    ///
    /// # Safety
    /// `base` must be an RTC instance with at least one CC register, used by nothing else.
    pub const unsafe fn new(base: usize) -> Self {
        RtcAlarm {
            // SAFETY: forwarded from this function's contract.
            regs: unsafe { StaticRef::new(base) },
            overflows: Cell::new(0),
            client: OptionalCell::empty(),
            state: AlarmState::new(),
        }
    }

    /// Starts the counter from 0 at 32768 Hz with the overflow interrupt on (LFCLK must run).
    pub fn init(&self) {
        self.regs.tasks_stop.set(1);
        self.regs.prescaler.set(0);
        self.regs.tasks_clear.set(1);
        self.regs.events_ovrflw.set(0);
        self.regs.events_compare[0].set(0);
        self.regs
            .intenclr
            .write(Int::TICK.set() + Int::COMPARE0.set());
        self.regs
            .evtenset
            .write(Int::OVRFLW.set() + Int::COMPARE0.set());
        self.regs.intenset.write(Int::OVRFLW.set());
        self.overflows.set(0);
        self.regs.tasks_start.set(1);
    }

    fn absorb_overflow(&self) {
        if self.regs.events_ovrflw.get() != 0 {
            self.regs.events_ovrflw.set(0);
            self.overflows.set(self.overflows.get().wrapping_add(1));
        }
    }

    fn program(&self) {
        let now = self.now();
        let ahead = compare_distance(self.state.remaining(now));
        self.regs.events_compare[0].set(0);
        self.regs.cc[0].set(now.wrapping_add(ahead) & COUNTER_MASK);
        self.regs.intenset.write(Int::COMPARE0.set());
    }

    /// Bottom half of the RTC interrupt (OVRFLW and COMPARE[0]).
    pub fn handle_interrupt(&self) {
        let now = self.now();
        if self.regs.events_compare[0].get() == 0 {
            return;
        }
        self.regs.events_compare[0].set(0);
        if !self.state.is_armed() {
            self.regs.intenclr.write(Int::COMPARE0.set());
            return;
        }
        if self.state.expired(now) {
            self.state.disarm();
            self.regs.intenclr.write(Int::COMPARE0.set());
            self.client.map(|c| c.alarm());
        } else {
            self.program();
        }
    }
}

impl<'a> Time for RtcAlarm<'a> {
    fn frequency(&self) -> u32 {
        RTC_HZ
    }
    fn now(&self) -> u32 {
        loop {
            self.absorb_overflow();
            let counter = self.regs.counter.get() & COUNTER_MASK;
            // A wrap between the two reads: absorb it and read again.
            if self.regs.events_ovrflw.get() == 0 {
                return (self.overflows.get() << 24) | counter;
            }
        }
    }
}

impl<'a> Alarm<'a> for RtcAlarm<'a> {
    fn set_alarm_client(&self, client: &'a dyn AlarmClient) {
        self.client.set(client);
    }
    fn set_alarm(&self, reference: u32, dt: u32) {
        self.state.arm(reference, dt);
        self.program();
    }
    fn get_alarm(&self) -> u32 {
        self.state.end()
    }
    fn disarm(&self) {
        self.state.disarm();
        self.regs.intenclr.write(Int::COMPARE0.set());
        self.regs.events_compare[0].set(0);
    }
    fn is_armed(&self) -> bool {
        self.state.is_armed()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::boxed::Box;

    fn fake() -> (Box<[u32; 0x550 / 4]>, RtcAlarm<'static>) {
        let mut mem = Box::new([0u32; 0x550 / 4]);
        // SAFETY: the boxed block outlives the alarm in each test (both are returned together
        // and dropped together) and is laid out as `RtcRegisters`.
        let rtc = unsafe { RtcAlarm::new(mem.as_mut_ptr() as usize) };
        (mem, rtc)
    }

    const COUNTER: usize = 0x504 / 4;
    const OVRFLW: usize = 0x104 / 4;
    const CC0: usize = 0x540 / 4;
    const COMPARE0: usize = 0x140 / 4;

    #[test]
    fn time_extends_past_24_bits_with_overflow_events() {
        let (mut mem, rtc) = fake();
        mem[COUNTER] = 0x00ff_fff0;
        assert_eq!(rtc.now(), 0x00ff_fff0);
        // The counter wraps: hardware sets OVRFLW.
        mem[COUNTER] = 5;
        mem[OVRFLW] = 1;
        assert_eq!(rtc.now(), 0x0100_0005);
        assert_eq!(mem[OVRFLW], 0, "event consumed");
        mem[COUNTER] = 7;
        assert_eq!(rtc.now(), 0x0100_0007, "counted once only");
        // 255 more wraps bring the 32-bit time back through zero.
        for _ in 0..255 {
            mem[OVRFLW] = 1;
            rtc.now();
        }
        assert_eq!(rtc.now(), 7);
    }

    #[test]
    fn compare_never_too_close_nor_too_far() {
        let distance = |r, dt, now| compare_distance(kernel::hil::time::remaining(r, dt, now));
        assert_eq!(distance(100, 1000, 100), 1000);
        assert_eq!(distance(100, 1, 100), MIN_AHEAD);
        assert_eq!(distance(100, 50, 200), MIN_AHEAD, "already expired");
        assert_eq!(distance(0, 0x4000_0000, 0), MAX_AHEAD);
        // Across the 32-bit wrap.
        assert_eq!(distance(u32::MAX - 10, 30, u32::MAX - 5), 25);
    }

    #[test]
    fn alarm_programs_cc_and_fires_only_when_expired() {
        struct Count(Cell<u32>);
        impl AlarmClient for Count {
            fn alarm(&self) {
                self.0.set(self.0.get() + 1);
            }
        }
        let client: &'static Count = Box::leak(Box::new(Count(Cell::new(0))));
        let (mut mem, rtc) = fake();
        rtc.set_alarm_client(client);
        mem[COUNTER] = 0x00ff_fff0;
        // 0x20 ticks ahead crosses the 24-bit wrap: CC holds the wrapped value.
        rtc.set_alarm(0x00ff_fff0, 0x20);
        assert_eq!(mem[CC0], 0x10);
        assert!(rtc.is_armed());
        // A spurious compare before expiry reprograms instead of firing.
        mem[COMPARE0] = 1;
        mem[COUNTER] = 0x00ff_fff8;
        rtc.handle_interrupt();
        assert_eq!(client.0.get(), 0);
        assert_eq!(mem[CC0], 0x10);
        // After the wrap and the compare: fires once.
        mem[OVRFLW] = 1;
        mem[COUNTER] = 0x10;
        mem[COMPARE0] = 1;
        rtc.handle_interrupt();
        assert_eq!(client.0.get(), 1);
        assert!(!rtc.is_armed());
        assert_eq!(rtc.now(), 0x0100_0010);
    }
}
