//! Virtual alarms: several clients share one hardware alarm.
//!
//! Usage (board): `let mux = MuxAlarm::new(&hw); hw.set_alarm_client(&mux);`
//! then per client `let va = VirtualAlarm::new(&mux); va.setup(); va.set_alarm_client(c);`.

use cells::OptionalCell;
use kernel::hil::time::{Alarm, AlarmClient, AlarmState, Time};
use kernel::list::{List, ListLink, ListNode};

/// One client's alarm.
pub struct VirtualAlarm<'a> {
    mux: &'a MuxAlarm<'a>,
    state: AlarmState,
    next: ListLink<'a, VirtualAlarm<'a>>,
    client: OptionalCell<&'a dyn AlarmClient>,
}

impl<'a> ListNode<'a, VirtualAlarm<'a>> for VirtualAlarm<'a> {
    fn next(&'a self) -> &'a ListLink<'a, VirtualAlarm<'a>> {
        &self.next
    }
}

/// The multiplexer over the hardware alarm.
pub struct MuxAlarm<'a> {
    alarm: &'a dyn Alarm<'a>,
    clients: List<'a, VirtualAlarm<'a>>,
}

impl<'a> MuxAlarm<'a> {
    /// A mux over `alarm`.
    pub fn new(alarm: &'a dyn Alarm<'a>) -> Self {
        MuxAlarm {
            alarm,
            clients: List::new(),
        }
    }

    fn reprogram(&self) {
        let now = self.alarm.now();
        let mut best: Option<(u32, u32)> = None;
        for c in self.clients.iter().filter(|c| c.state.is_armed()) {
            let left = c.state.remaining(now);
            if best.map_or(true, |(l, _)| left < l) {
                best = Some((left, c.state.end()));
            }
        }
        match best {
            Some((left, _)) => self.alarm.set_alarm(now, left),
            None => self.alarm.disarm(),
        }
    }
}

impl<'a> AlarmClient for MuxAlarm<'a> {
    fn alarm(&self) {
        let now = self.alarm.now();
        for c in self.clients.iter() {
            if c.state.is_armed() && c.state.expired(now) {
                c.state.disarm();
                c.client.map(|cl| cl.alarm());
            }
        }
        self.reprogram();
    }
}

impl<'a> VirtualAlarm<'a> {
    /// A virtual alarm on `mux` (call `setup` once it has its final address).
    pub fn new(mux: &'a MuxAlarm<'a>) -> Self {
        VirtualAlarm {
            mux,
            state: AlarmState::new(),
            next: ListLink::empty(),
            client: OptionalCell::empty(),
        }
    }
    /// Joins the mux's client list.
    pub fn setup(&'a self) {
        self.mux.clients.push_head(self);
    }
}

impl<'a> Time for VirtualAlarm<'a> {
    fn frequency(&self) -> u32 {
        self.mux.alarm.frequency()
    }
    fn now(&self) -> u32 {
        self.mux.alarm.now()
    }
}

impl<'a> Alarm<'a> for VirtualAlarm<'a> {
    fn set_alarm_client(&self, client: &'a dyn AlarmClient) {
        self.client.set(client);
    }
    fn set_alarm(&self, reference: u32, dt: u32) {
        self.state.arm(reference, dt);
        self.mux.reprogram();
    }
    fn get_alarm(&self) -> u32 {
        self.state.end()
    }
    fn disarm(&self) {
        self.state.disarm();
        self.mux.reprogram();
    }
    fn is_armed(&self) -> bool {
        self.state.is_armed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;
    use kernel::hil::time;

    /// A hardware alarm whose clock the test moves by hand.
    struct FakeAlarm<'a> {
        now: Cell<u32>,
        armed: Cell<Option<(u32, u32)>>,
        client: OptionalCell<&'a dyn AlarmClient>,
    }
    impl<'a> Time for FakeAlarm<'a> {
        fn frequency(&self) -> u32 {
            1000
        }
        fn now(&self) -> u32 {
            self.now.get()
        }
    }
    impl<'a> Alarm<'a> for FakeAlarm<'a> {
        fn set_alarm_client(&self, c: &'a dyn AlarmClient) {
            self.client.set(c);
        }
        fn set_alarm(&self, r: u32, dt: u32) {
            self.armed.set(Some((r, dt)));
        }
        fn get_alarm(&self) -> u32 {
            self.armed.get().map_or(0, |(r, d)| r.wrapping_add(d))
        }
        fn disarm(&self) {
            self.armed.set(None);
        }
        fn is_armed(&self) -> bool {
            self.armed.get().is_some()
        }
    }
    impl<'a> FakeAlarm<'a> {
        /// Advances time and fires the hardware alarm if it expired.
        fn advance(&self, ticks: u32) {
            self.now.set(self.now.get().wrapping_add(ticks));
            if let Some((r, d)) = self.armed.get() {
                if time::expired(r, d, self.now.get()) {
                    self.armed.set(None);
                    self.client.map(|c| c.alarm());
                }
            }
        }
    }
    struct Counter(Cell<u32>);
    impl AlarmClient for Counter {
        fn alarm(&self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn two_clients_share_one_alarm() {
        let hw = FakeAlarm {
            now: Cell::new(u32::MAX - 50),
            armed: Cell::new(None),
            client: OptionalCell::empty(),
        };
        let mux = MuxAlarm::new(&hw);
        hw.set_alarm_client(&mux);
        let (a, b) = (VirtualAlarm::new(&mux), VirtualAlarm::new(&mux));
        a.setup();
        b.setup();
        let (ca, cb) = (Counter(Cell::new(0)), Counter(Cell::new(0)));
        a.set_alarm_client(&ca);
        b.set_alarm_client(&cb);
        let now = hw.now();
        a.set_alarm(now, 100);
        b.set_alarm(now, 30);
        // The hardware is programmed for the earlier client, across the counter's wrap.
        assert_eq!(hw.get_alarm(), now.wrapping_add(30));
        hw.advance(30);
        assert_eq!((ca.0.get(), cb.0.get()), (0, 1));
        assert_eq!(hw.get_alarm(), now.wrapping_add(100));
        hw.advance(70);
        assert_eq!((ca.0.get(), cb.0.get()), (1, 1));
        assert!(!hw.is_armed());
        a.set_alarm(hw.now(), 10);
        a.disarm();
        assert!(!hw.is_armed());
    }
}
