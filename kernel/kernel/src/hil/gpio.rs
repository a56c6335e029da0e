//! GPIO pins and pin interrupts, for the LED, button and GPIO capsules.
//!
//! A chip implements `Pin` for its pins and `Interrupts` for whatever watches pins for edges
//! (the nRF52's GPIOTE channels); boards hand capsules slices of `&dyn Pin` so the capsules stay
//! chip-independent and free of `unsafe`.

/// Pull resistor of an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pull {
    /// None.
    None,
    /// Pull-up.
    Up,
    /// Pull-down.
    Down,
}

/// Which edges an interrupt reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// Low to high.
    Rising,
    /// High to low.
    Falling,
    /// Both.
    Either,
}

/// One pin.
pub trait Pin {
    /// Output (keeping the present output level).
    fn make_output(&self);
    /// Input with a pull.
    fn make_input(&self, pull: Pull);
    /// Neither: input buffer off, no drive (the reset state).
    fn deactivate(&self);
    /// Drive high.
    fn set(&self);
    /// Drive low.
    fn clear(&self);
    /// Invert the output.
    fn toggle(&self);
    /// The level on the pin.
    fn read(&self) -> bool;
}

/// Told when a watched pin saw its edge.
pub trait InterruptClient {
    /// Pin `index` (the capsule's own numbering) fired.
    fn fired(&self, index: usize);
}

/// Edge interrupts on a set of pins, numbered by the capsule that owns them.
pub trait Interrupts {
    /// Watch pin `index` for `edge`; fails with INVALID for a pin without interrupt support.
    fn enable(&self, index: usize, edge: Edge) -> Result<(), crate::ErrorCode>;
    /// Stop watching pin `index`.
    fn disable(&self, index: usize);
}
