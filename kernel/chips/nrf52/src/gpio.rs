//! GPIO pins (ports P0 and P1) and GPIOTE input events for buttons.
//!
//! Facts from the nRF52840 Product Specification, sections "GPIO - General purpose
//! input/output" and "GPIOTE - GPIO tasks and events": P0's registers start at 0x50000504
//! (OUT, OUTSET, OUTCLR, IN, DIR, DIRSET, DIRCLR, LATCH, DETECTMODE) with PIN_CNF[n] at
//! 0x700 + 4n; P1 is the same block 0x300 higher. PIN_CNF: DIR bit 0 (1 output), INPUT bit 1
//! (1 = input buffer disconnected), PULL bits 2-3 (1 pull-down, 3 pull-up), SENSE bits 16-17.
//! P0 has 32 pins, P1 16 (P1 exists on the nRF52840 and, with fewer pins, the nRF52833).
//! GPIOTE CONFIG[n]: MODE bits 0-1 (1 Event), PSEL bits 8-12, PORT bit 13, POLARITY bits
//! 16-17 (1 LoToHi, 2 HiToLo, 3 Toggle); IN[n] events at 0x100 + 4n, INTEN bit n.

use cells::OptionalCell;
use registers::{bitfields, register_block, ReadOnly, ReadWrite, StaticRef, WriteOnly};

bitfields! {
    /// PIN_CNF[n].
    pub mod PinCnf {
        /// 1 = output.
        DIR: 0, 1;
        /// 1 = input buffer disconnected.
        INPUT_DISCONNECT: 1, 1;
        /// 0 none, 1 pull-down, 3 pull-up.
        PULL: 2, 2;
        /// Drive strength.
        DRIVE: 8, 3;
        /// Sense: 0 disabled, 2 high, 3 low.
        SENSE: 16, 2;
    }
}

bitfields! {
    /// GPIOTE CONFIG[n].
    pub mod TeConfig {
        /// 0 disabled, 1 event, 3 task.
        MODE: 0, 2;
        /// Pin number.
        PSEL: 8, 5;
        /// Port number.
        PORT: 13, 1;
        /// 1 LoToHi, 2 HiToLo, 3 Toggle.
        POLARITY: 16, 2;
        /// Initial output value in task mode.
        OUTINIT: 20, 1;
    }
}

register_block! {
    /// One GPIO port, from the port's base (0x50000000 for P0, 0x50000300 for P1).
    pub GpioRegisters {
        (0x000 => _reserved0: [u32; 321]),
        (0x504 => out: ReadWrite<u32>),
        (0x508 => outset: ReadWrite<u32>),
        (0x50c => outclr: ReadWrite<u32>),
        (0x510 => input: ReadOnly<u32>),
        (0x514 => dir: ReadWrite<u32>),
        (0x518 => dirset: ReadWrite<u32>),
        (0x51c => dirclr: ReadWrite<u32>),
        (0x520 => latch: ReadWrite<u32>),
        (0x524 => detectmode: ReadWrite<u32>),
        (0x528 => _reserved1: [u32; 118]),
        (0x700 => pin_cnf: [ReadWrite<u32, PinCnf::Register>; 32]),
        @END = 0x780,
    }
}

register_block! {
    /// GPIOTE registers (base 0x40006000).
    pub GpioteRegisters {
        (0x000 => tasks_out: [WriteOnly<u32>; 8]),
        (0x020 => _reserved0: [u32; 4]),
        (0x030 => tasks_set: [WriteOnly<u32>; 8]),
        (0x050 => _reserved1: [u32; 4]),
        (0x060 => tasks_clr: [WriteOnly<u32>; 8]),
        (0x080 => _reserved2: [u32; 32]),
        (0x100 => events_in: [ReadWrite<u32>; 8]),
        (0x120 => _reserved3: [u32; 23]),
        (0x17c => events_port: ReadWrite<u32>),
        (0x180 => _reserved4: [u32; 97]),
        (0x304 => intenset: ReadWrite<u32>),
        (0x308 => intenclr: ReadWrite<u32>),
        (0x30c => _reserved5: [u32; 129]),
        (0x510 => config: [ReadWrite<u32, TeConfig::Register>; 8]),
        @END = 0x530,
    }
}

/// Base of P0.
pub const P0_BASE: usize = 0x5000_0000;
/// Base of P1.
pub const P1_BASE: usize = 0x5000_0300;
/// GPIOTE base.
pub const GPIOTE_BASE: usize = 0x4000_6000;
/// GPIOTE channels.
pub const GPIOTE_CHANNELS: usize = 8;

/// Pull resistor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pull {
    /// None.
    None,
    /// Pull-down.
    Down,
    /// Pull-up.
    Up,
}

/// Edge a GPIOTE channel reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// Low to high.
    Rising,
    /// High to low.
    Falling,
    /// Any change.
    Both,
}

/// One pin, `port`.`pin`.
#[derive(Clone, Copy)]
pub struct Pin {
    regs: StaticRef<GpioRegisters>,
    port: u8,
    pin: u8,
}

impl Pin {
    /// Pin `pin` of port `port` (0 or 1).
    ///
    /// # Safety
    /// Only one driver may configure a given pin; the GPIO blocks are at their architectural
    /// addresses.
    pub const unsafe fn new(port: u8, pin: u8) -> Self {
        let base = if port == 0 { P0_BASE } else { P1_BASE };
        Pin {
            // SAFETY: P0_BASE/P1_BASE are the GPIO ports; the caller owns this pin.
            regs: unsafe { StaticRef::new(base) },
            port,
            pin: pin & 31,
        }
    }
    /// Port number.
    pub fn port(&self) -> u8 {
        self.port
    }
    /// Pin number within the port.
    pub fn number(&self) -> u8 {
        self.pin
    }
    fn bit(&self) -> u32 {
        1 << self.pin
    }
    /// Output, driving `high` from the start.
    pub fn make_output(&self, high: bool) {
        self.write(high);
        self.regs.pin_cnf[self.pin as usize]
            .write(PinCnf::DIR.set() + PinCnf::INPUT_DISCONNECT.set());
    }
    /// Input with its buffer connected and the given pull.
    pub fn make_input(&self, pull: Pull) {
        let p = match pull {
            Pull::None => 0,
            Pull::Down => 1,
            Pull::Up => 3,
        };
        self.regs.pin_cnf[self.pin as usize].write(PinCnf::PULL.val(p));
    }
    /// Drives the output level.
    pub fn write(&self, high: bool) {
        if high {
            self.regs.outset.set(self.bit());
        } else {
            self.regs.outclr.set(self.bit());
        }
    }
    /// Inverts the output level.
    pub fn toggle(&self) {
        let on = self.regs.out.get() & self.bit() != 0;
        self.write(!on);
    }
    /// The level on the pin.
    pub fn read(&self) -> bool {
        self.regs.input.get() & self.bit() != 0
    }
}

impl kernel::hil::gpio::Pin for Pin {
    /// Output with the input buffer connected, so `read` returns the driven level.
    fn make_output(&self) {
        self.regs.pin_cnf[self.pin as usize].write(PinCnf::DIR.set());
    }
    fn make_input(&self, pull: kernel::hil::gpio::Pull) {
        Pin::make_input(
            self,
            match pull {
                kernel::hil::gpio::Pull::None => Pull::None,
                kernel::hil::gpio::Pull::Up => Pull::Up,
                kernel::hil::gpio::Pull::Down => Pull::Down,
            },
        );
    }
    fn deactivate(&self) {
        self.regs.pin_cnf[self.pin as usize].write(PinCnf::INPUT_DISCONNECT.set());
    }
    fn set(&self) {
        self.write(true);
    }
    fn clear(&self) {
        self.write(false);
    }
    fn toggle(&self) {
        Pin::toggle(self);
    }
    fn read(&self) -> bool {
        Pin::read(self)
    }
}

/// An LED on a pin.
#[derive(Clone, Copy)]
pub struct Led {
    pin: Pin,
    active_low: bool,
}

impl Led {
    /// An LED lit when `pin` is high (or low, if `active_low`); starts off.
    pub fn new(pin: Pin, active_low: bool) -> Self {
        let led = Led { pin, active_low };
        pin.make_output(active_low);
        led
    }
    /// Lights or darkens it.
    pub fn set(&self, on: bool) {
        self.pin.write(on != self.active_low);
    }
}

/// Told when a GPIOTE channel saw its edge.
pub trait GpioteClient {
    /// Channel `channel` fired.
    fn fired(&self, channel: usize);
}

/// GPIOTE channels in event mode.
pub struct Gpiote<'a> {
    regs: StaticRef<GpioteRegisters>,
    client: OptionalCell<&'a dyn GpioteClient>,
}

impl<'a> Gpiote<'a> {
    /// The GPIOTE block at `base`.
    ///
    /// # Safety
    /// `base` must be GPIOTE (0x40006000), used only by this driver.
    pub const unsafe fn new(base: usize) -> Self {
        Gpiote {
            // SAFETY: forwarded from this function's contract.
            regs: unsafe { StaticRef::new(base) },
            client: OptionalCell::empty(),
        }
    }
    /// Registers the client.
    pub fn set_client(&self, client: &'a dyn GpioteClient) {
        self.client.set(client);
    }
    /// Watches `pin` for `edge` on `channel` (0-7) with its interrupt on. Out-of-range
    /// channels are ignored.
    pub fn watch(&self, channel: usize, pin: &Pin, edge: Edge) {
        if channel >= GPIOTE_CHANNELS {
            return;
        }
        let polarity = match edge {
            Edge::Rising => 1,
            Edge::Falling => 2,
            Edge::Both => 3,
        };
        self.regs.config[channel].write(
            TeConfig::MODE.val(1)
                + TeConfig::PSEL.val(pin.number() as u32)
                + TeConfig::PORT.val(pin.port() as u32)
                + TeConfig::POLARITY.val(polarity),
        );
        self.regs.events_in[channel].set(0);
        self.regs.intenset.set(1 << channel);
    }
    /// Stops watching `channel` (its event and interrupt off).
    pub fn unwatch(&self, channel: usize) {
        if channel >= GPIOTE_CHANNELS {
            return;
        }
        self.regs.intenclr.set(1 << channel);
        self.regs.config[channel].set(0);
        self.regs.events_in[channel].set(0);
    }
    /// Bottom half of the GPIOTE interrupt. Repeats while a channel fired during the pass (an
    /// event raised while another still holds the line high pends nothing new).
    pub fn handle_interrupt(&self) {
        for _ in 0..4 {
            let mut any = false;
            for ch in 0..GPIOTE_CHANNELS {
                if self.regs.events_in[ch].get() != 0 {
                    self.regs.events_in[ch].set(0);
                    any = true;
                    self.client.map(|c| c.fired(ch));
                }
            }
            if self.regs.events_port.get() != 0 {
                self.regs.events_port.set(0);
            }
            if !any {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpiote_config_encodes_event_mode_pin_port_polarity() {
        let mut mem = [0u32; 0x530 / 4];
        // SAFETY: `mem` outlives `te` and is laid out as `GpioteRegisters`.
        let te = unsafe { Gpiote::new(mem.as_mut_ptr() as usize) };
        // SAFETY: only used to name port 1 pin 8; its registers are not touched here.
        let pin = unsafe { Pin::new(1, 8) };
        te.watch(2, &pin, Edge::Falling);
        assert_eq!(mem[0x510 / 4 + 2], 1 | (8 << 8) | (1 << 13) | (2 << 16));
        assert_eq!(mem[0x304 / 4], 1 << 2);
        te.watch(9, &pin, Edge::Rising);
        assert_eq!(mem[0x510 / 4 + 1], 0, "bad channel ignored");
    }

    #[test]
    fn gpiote_dispatches_and_clears_each_fired_channel() {
        struct Seen(core::cell::Cell<u32>);
        impl GpioteClient for Seen {
            fn fired(&self, ch: usize) {
                self.0.set(self.0.get() | 1 << ch);
            }
        }
        let seen = Seen(core::cell::Cell::new(0));
        let mut mem = [0u32; 0x530 / 4];
        mem[0x100 / 4] = 1;
        mem[0x100 / 4 + 5] = 1;
        // SAFETY: `mem` outlives `te` and is laid out as `GpioteRegisters`.
        let te = unsafe { Gpiote::new(mem.as_mut_ptr() as usize) };
        te.set_client(&seen);
        te.handle_interrupt();
        assert_eq!(seen.0.get(), 0b10_0001);
        assert_eq!(mem[0x100 / 4], 0);
        assert_eq!(mem[0x100 / 4 + 5], 0);
    }

    #[test]
    fn pin_cnf_fields() {
        assert_eq!(PinCnf::PULL.val(3).value(), 0xc);
        assert_eq!(
            (PinCnf::DIR.set() + PinCnf::INPUT_DISCONNECT.set()).value(),
            3
        );
    }
}
