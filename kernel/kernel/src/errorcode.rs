//! The kernel's one error type, numbered as Tock's TRD104 numbers it for userspace.

/// Why a kernel operation or system call failed. The discriminants are the ABI numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ErrorCode {
    /// Generic failure.
    Fail = 1,
    /// The resource is busy; try again later.
    Busy = 2,
    /// The requested state is already in effect.
    Already = 3,
    /// The component is powered down.
    Off = 4,
    /// Reservation required first.
    Reserve = 5,
    /// An argument is invalid.
    Invalid = 6,
    /// A size is wrong (too large or too small).
    Size = 7,
    /// The operation was cancelled.
    Cancel = 8,
    /// Out of memory.
    NoMem = 9,
    /// The operation is not supported.
    NoSupport = 10,
    /// The device does not exist.
    NoDevice = 11,
    /// The device is not installed.
    Uninstalled = 12,
    /// A packet was not acknowledged.
    NoAck = 13,
}

impl ErrorCode {
    /// The ABI number.
    pub const fn as_u32(self) -> u32 {
        self as u32
    }
    /// The error for an ABI number, if it names one.
    pub const fn from_u32(v: u32) -> Option<ErrorCode> {
        Some(match v {
            1 => ErrorCode::Fail,
            2 => ErrorCode::Busy,
            3 => ErrorCode::Already,
            4 => ErrorCode::Off,
            5 => ErrorCode::Reserve,
            6 => ErrorCode::Invalid,
            7 => ErrorCode::Size,
            8 => ErrorCode::Cancel,
            9 => ErrorCode::NoMem,
            10 => ErrorCode::NoSupport,
            11 => ErrorCode::NoDevice,
            12 => ErrorCode::Uninstalled,
            13 => ErrorCode::NoAck,
            _ => return None,
        })
    }
    /// The upper-case name Tock's tools print.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorCode::Fail => "FAIL",
            ErrorCode::Busy => "BUSY",
            ErrorCode::Already => "ALREADY",
            ErrorCode::Off => "OFF",
            ErrorCode::Reserve => "RESERVE",
            ErrorCode::Invalid => "INVALID",
            ErrorCode::Size => "SIZE",
            ErrorCode::Cancel => "CANCEL",
            ErrorCode::NoMem => "NOMEM",
            ErrorCode::NoSupport => "NOSUPPORT",
            ErrorCode::NoDevice => "NODEVICE",
            ErrorCode::Uninstalled => "UNINSTALLED",
            ErrorCode::NoAck => "NOACK",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn numbers_round_trip() {
        for n in 1..=13 {
            assert_eq!(ErrorCode::from_u32(n).unwrap().as_u32(), n);
        }
        assert_eq!(ErrorCode::from_u32(0), None);
        assert_eq!(ErrorCode::from_u32(14), None);
        assert_eq!(ErrorCode::NoSupport.as_u32(), 10);
        assert_eq!(ErrorCode::Invalid.name(), "INVALID");
    }
}
