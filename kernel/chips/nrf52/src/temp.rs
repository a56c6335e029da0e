//! TEMP: the die temperature sensor, as the temperature capsule's `TemperatureDriver`.
//!
//! Facts from the nRF52840 Product Specification, section "TEMP - Temperature sensor": START
//! (0x000) begins a measurement, DATARDY (event 0x100, INTEN bit 0) says it is done, and TEMP
//! (0x508) holds the result as a signed count of 0.25 degree Celsius steps; STOP (0x004) turns
//! the analog front end off. TEMP is peripheral ID 12 (interrupt 12).

use cells::OptionalCell;
use kernel::hil::sensors::{TemperatureClient, TemperatureDriver};
use kernel::ErrorCode;
use registers::{register_block, ReadOnly, ReadWrite, StaticRef, WriteOnly};

register_block! {
    /// TEMP registers (base 0x4000C000).
    pub TempRegisters {
        (0x000 => tasks_start: WriteOnly<u32>),
        (0x004 => tasks_stop: WriteOnly<u32>),
        (0x008 => _reserved0: [u32; 62]),
        (0x100 => events_datardy: ReadWrite<u32>),
        (0x104 => _reserved1: [u32; 128]),
        (0x304 => intenset: ReadWrite<u32>),
        (0x308 => intenclr: ReadWrite<u32>),
        (0x30c => _reserved2: [u32; 127]),
        (0x508 => temp: ReadOnly<u32>),
        @END = 0x50c,
    }
}

/// The sensor.
pub struct Temp<'a> {
    regs: StaticRef<TempRegisters>,
    client: OptionalCell<&'a dyn TemperatureClient>,
}

impl<'a> Temp<'a> {
    /// The TEMP block at `base`.
    ///
    /// # Safety
    /// `base` must be TEMP (0x4000C000), used only by this driver.
    pub const unsafe fn new(base: usize) -> Self {
        Temp {
            // SAFETY: forwarded from this function's contract.
            regs: unsafe { StaticRef::new(base) },
            client: OptionalCell::empty(),
        }
    }

    /// Bottom half of the TEMP interrupt: the reading, in hundredths of a degree.
    pub fn handle_interrupt(&self) {
        if self.regs.events_datardy.get() == 0 {
            return;
        }
        self.regs.events_datardy.set(0);
        let quarters = self.regs.temp.get() as i32;
        self.regs.tasks_stop.set(1);
        self.regs.intenclr.set(1);
        self.client.map(|c| c.callback(Ok(quarters * 25)));
    }
}

impl<'a> TemperatureDriver<'a> for Temp<'a> {
    fn read_temperature(&self) -> Result<(), ErrorCode> {
        self.regs.events_datardy.set(0);
        self.regs.intenset.set(1);
        self.regs.tasks_start.set(1);
        Ok(())
    }
    fn set_client(&self, client: &'a dyn TemperatureClient) {
        self.client.set(client);
    }
}
