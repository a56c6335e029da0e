//! Decoding Cortex-M fault status registers into words a developer can act on.
//!
//! ```
//! use kernel::platform::FaultInfo;
//! let f = FaultInfo { exception: 4, cfsr: 0x82, mmfar: 0x2000_0000, ..FaultInfo::default() };
//! let (kind, addr, _) = kernel::fault::describe(&f);
//! assert_eq!(kind, "memory protection violation (data access)");
//! assert_eq!(addr, Some(0x2000_0000));
//! ```

use crate::platform::FaultInfo;

/// CFSR bits (MemManage, BusFault, UsageFault status).
pub mod cfsr {
    /// Instruction fetch from a region without execute permission.
    pub const IACCVIOL: u32 = 1 << 0;
    /// Data access the MPU forbids.
    pub const DACCVIOL: u32 = 1 << 1;
    /// Unstacking on exception return hit a MemManage fault.
    pub const MUNSTKERR: u32 = 1 << 3;
    /// Stacking on exception entry hit a MemManage fault.
    pub const MSTKERR: u32 = 1 << 4;
    /// Lazy FP state preservation hit a MemManage fault.
    pub const MLSPERR: u32 = 1 << 5;
    /// MMFAR holds the address.
    pub const MMARVALID: u32 = 1 << 7;
    /// Bus error on instruction fetch.
    pub const IBUSERR: u32 = 1 << 8;
    /// Precise data bus error.
    pub const PRECISERR: u32 = 1 << 9;
    /// Imprecise data bus error.
    pub const IMPRECISERR: u32 = 1 << 10;
    /// Bus error on unstacking.
    pub const UNSTKERR: u32 = 1 << 11;
    /// Bus error on stacking.
    pub const STKERR: u32 = 1 << 12;
    /// BFAR holds the address.
    pub const BFARVALID: u32 = 1 << 15;
    /// Undefined instruction.
    pub const UNDEFINSTR: u32 = 1 << 16;
    /// Invalid state (e.g. Thumb bit clear).
    pub const INVSTATE: u32 = 1 << 17;
    /// Invalid exception return.
    pub const INVPC: u32 = 1 << 18;
    /// Coprocessor access while disabled.
    pub const NOCP: u32 = 1 << 19;
    /// Unaligned access trap.
    pub const UNALIGNED: u32 = 1 << 24;
    /// Division by zero trap.
    pub const DIVBYZERO: u32 = 1 << 25;
}

/// HFSR bits.
pub mod hfsr {
    /// Vector table read failed.
    pub const VECTTBL: u32 = 1 << 1;
    /// A configurable fault escalated.
    pub const FORCED: u32 = 1 << 30;
}

/// (what happened, the faulting address if known, a longer explanation).
pub fn describe(f: &FaultInfo) -> (&'static str, Option<u32>, &'static str) {
    let c = f.cfsr;
    let mm_addr = if c & cfsr::MMARVALID != 0 {
        Some(f.mmfar)
    } else {
        None
    };
    let bus_addr = if c & cfsr::BFARVALID != 0 {
        Some(f.bfar)
    } else {
        None
    };
    if c & cfsr::DACCVIOL != 0 {
        return (
            "memory protection violation (data access)",
            mm_addr,
            "the process read or wrote memory it does not own",
        );
    }
    if c & cfsr::IACCVIOL != 0 {
        return (
            "memory protection violation (instruction fetch)",
            Some(f.pc),
            "the process jumped to memory it may not execute",
        );
    }
    if c & cfsr::MSTKERR != 0 {
        return (
            "stack overflow (exception entry could not push the frame)",
            mm_addr.or(Some(f.sp)),
            "the stack pointer left the process's memory",
        );
    }
    if c & cfsr::MUNSTKERR != 0 {
        return (
            "bad stack on exception return",
            mm_addr.or(Some(f.sp)),
            "the stack pointer left the process's memory",
        );
    }
    if c & cfsr::MLSPERR != 0 {
        return (
            "memory protection violation (floating-point state)",
            mm_addr,
            "lazy FP stacking faulted",
        );
    }
    if c & cfsr::PRECISERR != 0 {
        return (
            "bus error (data access)",
            bus_addr,
            "no device or memory answers at that address",
        );
    }
    if c & cfsr::IBUSERR != 0 {
        return (
            "bus error (instruction fetch)",
            Some(f.pc),
            "no memory to fetch from at that address",
        );
    }
    if c & cfsr::IMPRECISERR != 0 {
        return (
            "imprecise bus error",
            None,
            "a buffered write failed; the address is not known",
        );
    }
    if c & cfsr::STKERR != 0 || c & cfsr::UNSTKERR != 0 {
        return (
            "bus error while stacking",
            Some(f.sp),
            "the stack pointer points at no memory",
        );
    }
    if c & cfsr::UNDEFINSTR != 0 {
        return (
            "undefined instruction",
            Some(f.pc),
            "the process executed an encoding the core does not know",
        );
    }
    if c & cfsr::INVSTATE != 0 {
        return (
            "invalid state",
            Some(f.pc),
            "a branch cleared the Thumb bit",
        );
    }
    if c & cfsr::INVPC != 0 {
        return (
            "invalid exception return",
            Some(f.pc),
            "bad EXC_RETURN value",
        );
    }
    if c & cfsr::NOCP != 0 {
        return (
            "coprocessor disabled",
            Some(f.pc),
            "floating-point instructions need an FP-enabled build and kernel",
        );
    }
    if c & cfsr::UNALIGNED != 0 {
        return (
            "unaligned access",
            Some(f.pc),
            "an unaligned access trapped",
        );
    }
    if c & cfsr::DIVBYZERO != 0 {
        return (
            "division by zero",
            Some(f.pc),
            "an integer division by zero trapped",
        );
    }
    if f.hfsr & hfsr::VECTTBL != 0 {
        return (
            "vector table read fault",
            None,
            "the core could not read the vector table",
        );
    }
    if f.exception == 0 {
        return (
            "fault requested by the kernel",
            None,
            "the process console or the kernel asked for it",
        );
    }
    ("hard fault", None, "no status bits explain it")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn decodes_the_common_cases() {
        let mk = |cfsr: u32| FaultInfo {
            exception: 4,
            cfsr,
            mmfar: 0x100,
            bfar: 0x200,
            pc: 0x300,
            sp: 0x400,
            ..FaultInfo::default()
        };
        assert_eq!(
            describe(&mk(cfsr::DACCVIOL | cfsr::MMARVALID)).1,
            Some(0x100)
        );
        assert_eq!(describe(&mk(cfsr::DACCVIOL)).1, None);
        assert_eq!(describe(&mk(cfsr::IACCVIOL)).1, Some(0x300));
        assert!(describe(&mk(cfsr::MSTKERR)).0.starts_with("stack overflow"));
        assert_eq!(
            describe(&mk(cfsr::PRECISERR | cfsr::BFARVALID)).1,
            Some(0x200)
        );
        assert_eq!(describe(&mk(cfsr::UNDEFINSTR)).0, "undefined instruction");
        assert_eq!(describe(&mk(0)).0, "hard fault");
    }
}
