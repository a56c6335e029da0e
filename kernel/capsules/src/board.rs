//! The platform of the Capsule boards: the system-call drivers every board offers (alarm,
//! console, low-level debug, RNG) next to the chip, context switch, MPU and timeslice timer the
//! board brings.
//!
//! The nRF boards add LEDs, buttons, GPIO and temperature (`BoardIo`; mps2-an386 has none).
//! The boards (mps2-an386, nrf52840dk, microbit-v2) expose the same drivers, so the driver
//! table and the `Platform` impl are written once here. The struct is generic over the
//! board's own parts, so each board keeps its concrete types and no dynamic dispatch is added.

use crate::alarm::AlarmDriver;
use crate::button::ButtonDriver;
use crate::console::Console;
use crate::gpio::GpioDriver;
use crate::led::LedDriver;
use crate::low_level_debug::LowLevelDebug;
use crate::rng::SimpleRng;
use crate::temperature::TemperatureSensor;
use kernel::platform::{
    Chip, Mpu, Platform, SchedulerTimer, SyscallDriver, UserspaceKernelBoundary,
};

/// A board: its chip `C`, context switch `B`, MPU `M`, timeslice timer `T`, and the drivers.
pub struct Board<C: 'static, B, M, T> {
    /// The chip (interrupt service).
    pub chip: &'static C,
    /// The context-switch layer.
    pub boundary: B,
    /// The MPU.
    pub mpu: M,
    /// The timeslice timer.
    pub timer: T,
    /// Console driver.
    pub console: &'static Console<'static>,
    /// Alarm driver.
    pub alarm: &'static AlarmDriver<'static>,
    /// RNG driver.
    pub rng: &'static SimpleRng<'static>,
    /// Low-level debug driver.
    pub lldb: &'static LowLevelDebug,
    /// Board peripherals for apps (the nRF boards have them; mps2-an386 has none).
    pub io: BoardIo,
}

/// The LED, button, GPIO and temperature drivers of a board that has them.
#[derive(Default)]
pub struct BoardIo {
    /// LEDs (driver 0x2).
    pub leds: Option<&'static LedDriver<'static>>,
    /// Buttons (driver 0x3).
    pub buttons: Option<&'static ButtonDriver<'static>>,
    /// GPIO (driver 0x4).
    pub gpio: Option<&'static GpioDriver<'static>>,
    /// Temperature (driver 0x60000).
    pub temperature: Option<&'static TemperatureSensor<'static>>,
}

impl<C, B, M, T> Platform for Board<C, B, M, T>
where
    C: Chip + 'static,
    B: UserspaceKernelBoundary,
    M: Mpu,
    T: SchedulerTimer,
{
    fn driver(&self, driver_num: u32) -> Option<&dyn SyscallDriver> {
        match driver_num {
            crate::alarm::DRIVER_NUM => Some(self.alarm),
            crate::console::DRIVER_NUM => Some(self.console),
            crate::low_level_debug::DRIVER_NUM => Some(self.lldb),
            crate::rng::DRIVER_NUM => Some(self.rng),
            crate::led::DRIVER_NUM => self.io.leds.map(|d| d as &dyn SyscallDriver),
            crate::button::DRIVER_NUM => self.io.buttons.map(|d| d as &dyn SyscallDriver),
            crate::gpio::DRIVER_NUM => self.io.gpio.map(|d| d as &dyn SyscallDriver),
            crate::temperature::DRIVER_NUM => self.io.temperature.map(|d| d as &dyn SyscallDriver),
            _ => None,
        }
    }
    fn chip(&self) -> &dyn Chip {
        self.chip
    }
    fn boundary(&self) -> &dyn UserspaceKernelBoundary {
        &self.boundary
    }
    fn mpu(&self) -> &dyn Mpu {
        &self.mpu
    }
    fn scheduler_timer(&self) -> &dyn SchedulerTimer {
        &self.timer
    }
}

#[cfg(test)]
mod tests {
    use kernel::abi::Driver;

    /// Each capsule keeps its own driver number; the ABI crate's table (which the apps
    /// runtime and the IDE read) must agree with it.
    #[test]
    fn driver_numbers_agree_with_the_abi_table() {
        let ours = [
            (crate::alarm::DRIVER_NUM, Driver::Alarm),
            (crate::console::DRIVER_NUM, Driver::Console),
            (crate::led::DRIVER_NUM, Driver::Led),
            (crate::button::DRIVER_NUM, Driver::Button),
            (crate::gpio::DRIVER_NUM, Driver::Gpio),
            (crate::low_level_debug::DRIVER_NUM, Driver::LowLevelDebug),
            (crate::rng::DRIVER_NUM, Driver::Rng),
            (crate::temperature::DRIVER_NUM, Driver::Temperature),
        ];
        for (number, driver) in ours {
            assert_eq!(number, driver.number(), "{}", driver.name());
        }
    }
}
