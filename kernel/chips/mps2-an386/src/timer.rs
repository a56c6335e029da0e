//! CMSDK APB timers (ARM DDI 0479) as a 32-bit tick counter plus one alarm.

use cells::OptionalCell;
use kernel::hil::time::{Alarm, AlarmClient, AlarmState, Time};
use registers::{bitfields, register_block, ReadWrite, StaticRef};

bitfields! {
    /// CTRL register.
    pub mod Ctrl {
        /// Counting.
        ENABLE: 0, 1;
        /// Count only while EXTIN is high.
        EXT_ENABLE: 1, 1;
        /// Clock from EXTIN.
        EXT_CLOCK: 2, 1;
        /// Interrupt on reaching zero.
        INT_ENABLE: 3, 1;
    }
}

register_block! {
    /// CMSDK timer registers.
    pub TimerRegisters {
        (0x00 => ctrl: ReadWrite<u32, Ctrl::Register>),
        (0x04 => value: ReadWrite<u32>),
        (0x08 => reload: ReadWrite<u32>),
        (0x0c => intstatus: ReadWrite<u32>),
        @END = 0x10,
    }
}

/// Timer 1 free-running for `now`, timer 0 one-shot for the alarm.
pub struct CmsdkAlarm<'a> {
    counter: StaticRef<TimerRegisters>,
    oneshot: StaticRef<TimerRegisters>,
    hz: u32,
    client: OptionalCell<&'a dyn AlarmClient>,
    state: AlarmState,
}

impl<'a> CmsdkAlarm<'a> {
    /// Timers at `counter_base` (free-running) and `oneshot_base`.
    ///
    /// # Safety
    /// Both must be CMSDK timers used by nothing else.
    pub const unsafe fn new(counter_base: usize, oneshot_base: usize, hz: u32) -> Self {
        CmsdkAlarm {
            // SAFETY: forwarded from this function's contract.
            counter: unsafe { StaticRef::new(counter_base) },
            // SAFETY: forwarded from this function's contract.
            oneshot: unsafe { StaticRef::new(oneshot_base) },
            hz,
            client: OptionalCell::empty(),
            state: AlarmState::new(),
        }
    }

    /// Starts the free-running counter.
    pub fn init(&self) {
        self.counter.ctrl.set(0);
        self.counter.reload.set(u32::MAX);
        self.counter.value.set(u32::MAX);
        self.counter.ctrl.write(Ctrl::ENABLE.set());
        self.oneshot.ctrl.set(0);
    }

    fn program(&self) {
        // An expired alarm has 0 ticks left; the one-shot needs at least 1.
        let left = self.state.remaining(self.now()).max(1);
        self.oneshot.ctrl.set(0);
        self.oneshot.intstatus.set(1);
        self.oneshot.reload.set(left);
        self.oneshot.value.set(left);
        self.oneshot
            .ctrl
            .write(Ctrl::ENABLE.set() + Ctrl::INT_ENABLE.set());
    }

    /// Bottom half of timer 0's interrupt.
    pub fn handle_interrupt(&self) {
        self.oneshot.intstatus.set(1);
        if !self.state.is_armed() {
            self.oneshot.ctrl.set(0);
            return;
        }
        if self.state.expired(self.now()) {
            self.state.disarm();
            self.oneshot.ctrl.set(0);
            self.client.map(|c| c.alarm());
        } else {
            self.program();
        }
    }
}

impl<'a> Time for CmsdkAlarm<'a> {
    fn frequency(&self) -> u32 {
        self.hz
    }
    fn now(&self) -> u32 {
        // The counter counts down from 2^32-1 and reloads there, so its complement counts up
        // and wraps exactly at 2^32.
        !self.counter.value.get()
    }
}

impl<'a> Alarm<'a> for CmsdkAlarm<'a> {
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
        self.oneshot.ctrl.set(0);
    }
    fn is_armed(&self) -> bool {
        self.state.is_armed()
    }
}
