//! The userspace ABI in one place: what the kernel, the apps runtime and the IDE agree on.
//!
//! Error codes, system-call classes, return variants, yield/exit/memop operations and the
//! well-known driver numbers of Tock's TRD104 ("System Calls"), plus the two things our kernel
//! offers debuggers: the debug anchor's symbol and format version, and the trace events the
//! kernel emits. The kernel (`kernel`) and the apps runtime (`capsule_rt`) both depend on this
//! crate, so each number is written once; [`json::Description`] prints the same tables as JSON
//! (`abi.json` beside this file, checked by this crate's tests), which the IDE's Tock views
//! read instead of keeping a third copy.
//!
//! ```
//! use abi::{ErrorCode, SyscallReturn};
//! let r = SyscallReturn::Failure(ErrorCode::NoSupport);
//! assert_eq!(r.encode(), [0, 10, 0, 0]);
//! assert_eq!(SyscallReturn::decode([0, 10, 0, 0]), Some(r));
//! assert_eq!(abi::SyscallClass::from_number(2), Some(abi::SyscallClass::Command));
//! ```
#![cfg_attr(not(test), no_std)]
// `map_or(false, ..)` stays: its suggested replacement (`is_some_and`) needs Rust 1.70 and the
// kernel must build with Debian's 1.63.
#![allow(unknown_lints, clippy::unnecessary_map_or)]
#![forbid(unsafe_code)]

pub mod json;

/// The Tock kernel ABI this crate describes (TBF KernelVersion: apps asking for ^2.x with x up
/// to this minor load; TRD104 including yield-wait-for and userspace-readable allow).
pub const ABI_VERSION: (u16, u16) = (2, 2);

/// Declares a C-like enum with its numbers, the names tools print, and the list of all values.
macro_rules! numbered {
    (
        $(#[$meta:meta])*
        pub enum $name:ident : $repr:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $value:expr, $label:expr; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr($repr)]
        pub enum $name {
            $( $(#[$vmeta])* $variant = $value, )*
        }

        impl $name {
            /// Every value, in ABI order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            /// The ABI number.
            #[inline]
            pub const fn number(self) -> $repr {
                self as $repr
            }
            /// The value with ABI number `n`, if it names one.
            #[inline]
            pub const fn from_number(n: $repr) -> Option<$name> {
                $( if n == $value { return Some($name::$variant); } )*
                None
            }
            /// The name Tock's documents and tools use.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $label, )*
                }
            }
        }
    };
}

numbered! {
    /// Why a kernel operation or system call failed (TRD104 section 3.3). The discriminants are
    /// the ABI numbers.
    pub enum ErrorCode: u32 {
        /// Generic failure.
        Fail = 1, "FAIL";
        /// The resource is busy; try again later.
        Busy = 2, "BUSY";
        /// The requested state is already in effect.
        Already = 3, "ALREADY";
        /// The component is powered down.
        Off = 4, "OFF";
        /// Reservation required first.
        Reserve = 5, "RESERVE";
        /// An argument is invalid.
        Invalid = 6, "INVALID";
        /// A size is wrong (too large or too small).
        Size = 7, "SIZE";
        /// The operation was cancelled.
        Cancel = 8, "CANCEL";
        /// Out of memory.
        NoMem = 9, "NOMEM";
        /// The operation is not supported.
        NoSupport = 10, "NOSUPPORT";
        /// The device does not exist.
        NoDevice = 11, "NODEVICE";
        /// The device is not installed.
        Uninstalled = 12, "UNINSTALLED";
        /// A packet was not acknowledged.
        NoAck = 13, "NOACK";
        /// Userspace only: the kernel's answer did not decode (an undefined return variant or
        /// error number). The kernel never returns it.
        BadRVal = 1024, "BADRVAL";
    }
}

impl ErrorCode {
    /// The ABI number (as `number`, under the name the kernel has always used).
    pub const fn as_u32(self) -> u32 {
        self.number()
    }
    /// The error for an ABI number the kernel may return (1-13); `BADRVAL` and anything else
    /// give `None`.
    pub const fn from_u32(v: u32) -> Option<ErrorCode> {
        match ErrorCode::from_number(v) {
            Some(ErrorCode::BadRVal) | None => None,
            some => some,
        }
    }
}

numbered! {
    /// The system-call classes: the `svc` immediate on Cortex-M (TRD104 section 4).
    pub enum SyscallClass: u8 {
        /// Yield (r0 = kind).
        Yield = 0, "yield";
        /// Subscribe (driver, subscribe number, upcall, appdata).
        Subscribe = 1, "subscribe";
        /// Command (driver, command, arg1, arg2).
        Command = 2, "command";
        /// Read-write allow (driver, allow number, pointer, length).
        ReadWriteAllow = 3, "allow-rw";
        /// Read-only allow.
        ReadOnlyAllow = 4, "allow-ro";
        /// Memory operations (r0 = operation, r1 = argument).
        Memop = 5, "memop";
        /// Exit (r0 = kind, r1 = completion code).
        Exit = 6, "exit";
        /// Userspace-readable allow.
        UserspaceReadableAllow = 7, "allow-userspace-readable";
    }
}

numbered! {
    /// The return variant in r0 (TRD104 section 3.2).
    pub enum ReturnVariant: u32 {
        /// Error code in r1.
        Failure = 0, "Failure";
        /// Error code, u32.
        FailureU32 = 1, "Failure with u32";
        /// Error code, two u32.
        FailureU32U32 = 2, "Failure with 2 u32";
        /// Error code, u64.
        FailureU64 = 3, "Failure with u64";
        /// No value.
        Success = 128, "Success";
        /// One u32.
        SuccessU32 = 129, "Success with u32";
        /// Two u32.
        SuccessU32U32 = 130, "Success with 2 u32";
        /// One u64.
        SuccessU64 = 131, "Success with u64";
        /// Three u32.
        SuccessU32U32U32 = 132, "Success with 3 u32";
        /// One u32 and one u64.
        SuccessU32U64 = 133, "Success with u32 and u64";
    }
}

impl ReturnVariant {
    /// How many registers (r0 up) the variant writes: TRD104 defines only those, and the
    /// kernel leaves the others as the process passed them.
    pub const fn registers_used(self) -> usize {
        use ReturnVariant::*;
        match self {
            Success => 1,
            Failure | SuccessU32 => 2,
            FailureU32 | SuccessU32U32 | SuccessU64 => 3,
            FailureU32U32 | FailureU64 | SuccessU32U32U32 | SuccessU32U64 => 4,
        }
    }
    /// True for the success variants (128 and up).
    pub const fn is_success(self) -> bool {
        self.number() >= 128
    }
}

numbered! {
    /// Yield kinds (r0 of class 0).
    pub enum YieldKind: u32 {
        /// Run one pending upcall if there is one; r1 points at a byte told whether one ran.
        NoWait = 0, "no-wait";
        /// Block until one upcall has run.
        Wait = 1, "wait";
        /// Block until the upcall of (r1 driver, r2 subscribe) is scheduled; its three values
        /// come back in r0-r2 and no function runs.
        WaitFor = 2, "wait-for";
    }
}

numbered! {
    /// Exit kinds (r0 of class 6).
    pub enum ExitKind: u32 {
        /// The process ends.
        Terminate = 0, "terminate";
        /// The kernel restarts the process.
        Restart = 1, "restart";
    }
}

numbered! {
    /// Memory operations (r0 of class 5; Tock's doc/syscalls/memop.md).
    pub enum MemopOp: u32 {
        /// Set the app break to r1.
        Brk = 0, "brk";
        /// Move the app break by r1 (signed); returns the old break.
        Sbrk = 1, "sbrk";
        /// Start of the process's RAM.
        RamStart = 2, "ram-start";
        /// End of the process's RAM.
        RamEnd = 3, "ram-end";
        /// Start of the process's flash.
        FlashStart = 4, "flash-start";
        /// End of the process's flash.
        FlashEnd = 5, "flash-end";
        /// Start of the grant region (the kernel break).
        GrantRegionStart = 6, "grant-region-start";
        /// Number of writeable flash regions.
        WriteableFlashRegions = 7, "writeable-flash-regions";
        /// Start of writeable flash region r1.
        WriteableFlashRegionStart = 8, "writeable-flash-region-start";
        /// End of writeable flash region r1.
        WriteableFlashRegionEnd = 9, "writeable-flash-region-end";
        /// Debugging aid: the stack top.
        DeclareStackTop = 10, "declare-stack-top";
        /// Debugging aid: the heap start.
        DeclareHeapStart = 11, "declare-heap-start";
    }
}

numbered! {
    /// The well-known driver numbers (Tock's capsules/core/src/driver.rs numbering) of the
    /// drivers our kernel offers.
    pub enum Driver: u32 {
        /// Alarm (virtualised).
        Alarm = 0, "alarm";
        /// Console output.
        Console = 1, "console";
        /// LEDs.
        Led = 2, "led";
        /// Buttons.
        Button = 3, "button";
        /// GPIO pins.
        Gpio = 4, "gpio";
        /// Low-level debug.
        LowLevelDebug = 8, "low-level-debug";
        /// Random numbers.
        Rng = 0x40001, "rng";
        /// Temperature sensor.
        Temperature = 0x60000, "temperature";
    }
}

/// The debug anchor: one `#[no_mangle]` static through which debuggers find the kernel's roots
/// (kernel/README.md, "Debug anchor").
pub mod anchor {
    /// Its symbol.
    pub const SYMBOL: &str = "CAPSULE_DEBUG_ANCHOR";
    /// The first eight bytes of the anchor.
    pub const MAGIC: [u8; 8] = *b"CAPSDBG\0";
    /// The anchor's format version: bumped whenever a field is removed or changes meaning.
    pub const VERSION: u32 = 1;
}

numbered! {
    /// Events only the kernel knows, which it writes to the trace port (ITM stimulus port
    /// [`trace::PORT`]) while a debugger has switched tracing on in the anchor: two words, the
    /// first `kind | process slot << 8 | subscribe number << 16`, the second the driver number.
    pub enum TraceEvent: u32 {
        /// An upcall was queued for the process.
        UpcallQueued = 1, "upcall-queued";
        /// The process's upcall queue was full: the upcall was dropped (and counted).
        UpcallDropped = 2, "upcall-dropped";
        /// An upcall's function is about to run in the process (or, for yield-wait-for, its
        /// values are returned).
        UpcallDelivered = 3, "upcall-delivered";
    }
}

/// How trace events travel.
pub mod trace {
    /// The ITM stimulus port the kernel writes its events to (ARMv7-M ARM appendix C1.7); port
    /// 0 stays free for text output.
    pub const PORT: u32 = 1;

    /// The first word of an event.
    pub const fn header(kind: super::TraceEvent, slot: u32, subscribe: u32) -> u32 {
        kind.number() | (slot & 0xff) << 8 | (subscribe & 0xffff) << 16
    }
}

/// A system call's result, one variant per TRD104 return variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallReturn {
    /// r0 = 0.
    Failure(ErrorCode),
    /// r0 = 1.
    FailureU32(ErrorCode, u32),
    /// r0 = 2.
    FailureU32U32(ErrorCode, u32, u32),
    /// r0 = 3.
    FailureU64(ErrorCode, u64),
    /// r0 = 128.
    Success,
    /// r0 = 129.
    SuccessU32(u32),
    /// r0 = 130.
    SuccessU32U32(u32, u32),
    /// r0 = 131.
    SuccessU64(u64),
    /// r0 = 132.
    SuccessU32U32U32(u32, u32, u32),
    /// r0 = 133.
    SuccessU32U64(u32, u64),
}

fn lo(v: u64) -> u32 {
    v as u32
}
fn hi(v: u64) -> u32 {
    (v >> 32) as u32
}

impl SyscallReturn {
    /// The variant (the number in r0).
    pub const fn variant(self) -> ReturnVariant {
        use SyscallReturn::*;
        match self {
            Failure(_) => ReturnVariant::Failure,
            FailureU32(..) => ReturnVariant::FailureU32,
            FailureU32U32(..) => ReturnVariant::FailureU32U32,
            FailureU64(..) => ReturnVariant::FailureU64,
            Success => ReturnVariant::Success,
            SuccessU32(_) => ReturnVariant::SuccessU32,
            SuccessU32U32(..) => ReturnVariant::SuccessU32U32,
            SuccessU64(_) => ReturnVariant::SuccessU64,
            SuccessU32U32U32(..) => ReturnVariant::SuccessU32U32U32,
            SuccessU32U64(..) => ReturnVariant::SuccessU32U64,
        }
    }
    /// How many registers (r0 up) this return writes.
    pub const fn registers_used(self) -> usize {
        self.variant().registers_used()
    }
    /// The registers this return writes: `encode()` and `registers_used()` in one match
    /// (the kernel's return path: one pass over the variant instead of three, a tenth of a
    /// command's round trip before).
    #[inline]
    pub fn written(self) -> ([u32; 4], usize) {
        use ReturnVariant as V;
        use SyscallReturn::*;
        match self {
            Failure(e) => ([V::Failure.number(), e.as_u32(), 0, 0], 2),
            FailureU32(e, a) => ([V::FailureU32.number(), e.as_u32(), a, 0], 3),
            FailureU32U32(e, a, b) => ([V::FailureU32U32.number(), e.as_u32(), a, b], 4),
            FailureU64(e, x) => ([V::FailureU64.number(), e.as_u32(), lo(x), hi(x)], 4),
            Success => ([V::Success.number(), 0, 0, 0], 1),
            SuccessU32(a) => ([V::SuccessU32.number(), a, 0, 0], 2),
            SuccessU32U32(a, b) => ([V::SuccessU32U32.number(), a, b, 0], 3),
            SuccessU64(x) => ([V::SuccessU64.number(), lo(x), hi(x), 0], 3),
            SuccessU32U32U32(a, b, c) => ([V::SuccessU32U32U32.number(), a, b, c], 4),
            SuccessU32U64(a, x) => ([V::SuccessU32U64.number(), a, lo(x), hi(x)], 4),
        }
    }
    /// Registers r0-r3 for this return (unused ones 0).
    pub fn encode(self) -> [u32; 4] {
        use SyscallReturn::*;
        let v = self.variant().number();
        match self {
            Failure(e) => [v, e.as_u32(), 0, 0],
            FailureU32(e, a) => [v, e.as_u32(), a, 0],
            FailureU32U32(e, a, b) => [v, e.as_u32(), a, b],
            FailureU64(e, x) => [v, e.as_u32(), lo(x), hi(x)],
            Success => [v, 0, 0, 0],
            SuccessU32(a) => [v, a, 0, 0],
            SuccessU32U32(a, b) => [v, a, b, 0],
            SuccessU64(x) => [v, lo(x), hi(x), 0],
            SuccessU32U32U32(a, b, c) => [v, a, b, c],
            SuccessU32U64(a, x) => [v, a, lo(x), hi(x)],
        }
    }
    /// Decodes registers r0-r3 as the kernel left them; `None` for an undefined variant or a
    /// failure carrying an undefined error number.
    pub fn decode(r: [u32; 4]) -> Option<SyscallReturn> {
        use SyscallReturn::*;
        let wide = |a: u32, b: u32| (a as u64) | ((b as u64) << 32);
        let variant = ReturnVariant::from_number(r[0])?;
        let e = || ErrorCode::from_u32(r[1]);
        Some(match variant {
            ReturnVariant::Failure => Failure(e()?),
            ReturnVariant::FailureU32 => FailureU32(e()?, r[2]),
            ReturnVariant::FailureU32U32 => FailureU32U32(e()?, r[2], r[3]),
            ReturnVariant::FailureU64 => FailureU64(e()?, wide(r[2], r[3])),
            ReturnVariant::Success => Success,
            ReturnVariant::SuccessU32 => SuccessU32(r[1]),
            ReturnVariant::SuccessU32U32 => SuccessU32U32(r[1], r[2]),
            ReturnVariant::SuccessU64 => SuccessU64(wide(r[1], r[2])),
            ReturnVariant::SuccessU32U32U32 => SuccessU32U32U32(r[1], r[2], r[3]),
            ReturnVariant::SuccessU32U64 => SuccessU32U64(r[1], wide(r[2], r[3])),
        })
    }
    /// What a userspace runtime makes of r0-r3: the return, or `Failure(BADRVAL)` when the
    /// registers do not decode.
    pub fn decode_or_badrval(r: [u32; 4]) -> SyscallReturn {
        SyscallReturn::decode(r).unwrap_or(SyscallReturn::Failure(ErrorCode::BadRVal))
    }
    /// The error of a failure variant, `None` for success.
    pub fn error(self) -> Option<ErrorCode> {
        match self {
            SyscallReturn::Failure(e)
            | SyscallReturn::FailureU32(e, _)
            | SyscallReturn::FailureU32U32(e, _, _)
            | SyscallReturn::FailureU64(e, _) => Some(e),
            _ => None,
        }
    }
    /// True for the success variants.
    pub fn is_success(self) -> bool {
        self.variant().is_success()
    }
    /// Success (any payload dropped) or the error.
    pub fn to_result(self) -> Result<(), ErrorCode> {
        match self.error() {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }
    /// The u32 of SuccessU32, or the error (`BADRVAL` for another success variant).
    pub fn to_u32(self) -> Result<u32, ErrorCode> {
        match self {
            SyscallReturn::SuccessU32(v) => Ok(v),
            other => Err(other.error().unwrap_or(ErrorCode::BadRVal)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_numbers_round_trip_and_badrval_is_userspace_only() {
        for n in 1..=13 {
            assert_eq!(ErrorCode::from_u32(n).unwrap().as_u32(), n);
        }
        assert_eq!(ErrorCode::from_u32(0), None);
        assert_eq!(ErrorCode::from_u32(14), None);
        assert_eq!(ErrorCode::from_u32(1024), None);
        assert_eq!(ErrorCode::from_number(1024), Some(ErrorCode::BadRVal));
        assert_eq!(ErrorCode::NoMem.name(), "NOMEM");
    }

    #[test]
    fn encodes_and_decodes_every_variant() {
        use SyscallReturn::*;
        let cases = [
            (Failure(ErrorCode::Busy), [0, 2, 0, 0]),
            (FailureU32(ErrorCode::Size, 7), [1, 7, 7, 0]),
            (FailureU32U32(ErrorCode::Invalid, 1, 2), [2, 6, 1, 2]),
            (FailureU64(ErrorCode::Fail, 0x1_0000_0002), [3, 1, 2, 1]),
            (Success, [128, 0, 0, 0]),
            (SuccessU32(5), [129, 5, 0, 0]),
            (SuccessU32U32(5, 6), [130, 5, 6, 0]),
            (
                SuccessU64(0xaaaa_bbbb_cccc_dddd),
                [131, 0xcccc_dddd, 0xaaaa_bbbb, 0],
            ),
            (SuccessU32U32U32(1, 2, 3), [132, 1, 2, 3]),
            (SuccessU32U64(9, 0x5_0000_0006), [133, 9, 6, 5]),
        ];
        let mut used = [0usize; 10];
        for (i, (ret, regs)) in cases.iter().enumerate() {
            assert_eq!(ret.encode(), *regs, "{:?}", ret);
            assert_eq!(SyscallReturn::decode(*regs), Some(*ret));
            used[i] = ret.registers_used();
            // `written` is the same encoding and count, in one match.
            assert_eq!(ret.written(), (*regs, used[i]), "{:?}", ret);
        }
        // TRD104: Failure r0-r1, FailureU32 r0-r2, ..., Success r0 alone.
        assert_eq!(used, [2, 3, 4, 4, 1, 2, 3, 3, 4, 4]);
        assert_eq!(SyscallReturn::decode([4, 0, 0, 0]), None);
        assert_eq!(SyscallReturn::decode([0, 99, 0, 0]), None);
        assert_eq!(SyscallReturn::decode([0, 1024, 0, 0]), None);
        assert_eq!(
            SyscallReturn::decode_or_badrval([0, 0, 0, 0]).error(),
            Some(ErrorCode::BadRVal)
        );
        assert_eq!(
            SyscallReturn::decode([129, 3, 0, 0]).unwrap().to_u32(),
            Ok(3)
        );
        assert_eq!(Success.to_u32(), Err(ErrorCode::BadRVal));
    }

    #[test]
    fn classes_and_operations_have_their_numbers() {
        assert_eq!(SyscallClass::ALL.len(), 8);
        for (i, c) in SyscallClass::ALL.iter().enumerate() {
            assert_eq!(c.number() as usize, i);
        }
        assert_eq!(SyscallClass::from_number(8), None);
        assert_eq!(MemopOp::from_number(11), Some(MemopOp::DeclareHeapStart));
        assert_eq!(YieldKind::from_number(2), Some(YieldKind::WaitFor));
        assert_eq!(Driver::Rng.number(), 0x40001);
    }

    #[test]
    fn trace_header_packs_kind_slot_and_subscribe() {
        assert_eq!(
            trace::header(TraceEvent::UpcallDropped, 3, 1),
            2 | 3 << 8 | 1 << 16
        );
    }
}
