//! Sensors: split-phase reads (start, then a client callback with the value).

use crate::ErrorCode;

/// Told when a temperature reading is ready.
pub trait TemperatureClient {
    /// The temperature in hundredths of a degree Celsius, or why there is none.
    fn callback(&self, value: Result<i32, ErrorCode>);
}

/// A temperature sensor.
pub trait TemperatureDriver<'a> {
    /// Starts one reading; the client hears of it later.
    fn read_temperature(&self) -> Result<(), ErrorCode>;
    /// Registers the client.
    fn set_client(&self, client: &'a dyn TemperatureClient);
}
