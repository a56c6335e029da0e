//! System-call encoding (TRD104): decoding a trap's class and registers, encoding returns.
//!
//! ```
//! use kernel::syscall::{Syscall, SyscallReturn};
//! use kernel::ErrorCode;
//! let call = Syscall::decode(2, [1, 1, 5, 0]).unwrap();
//! assert_eq!(call, Syscall::Command { driver: 1, command: 1, arg1: 5, arg2: 0 });
//! assert_eq!(SyscallReturn::Failure(ErrorCode::NoSupport).encode(), [0, 10, 0, 0]);
//! ```

use crate::ErrorCode;

/// The kinds of yield.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YieldKind {
    /// Run one pending upcall if there is one; `r1` points at a byte told whether one ran.
    NoWait { flag_ptr: usize },
    /// Block until one upcall has run.
    Wait,
    /// Block until the named subscription fires; its values come back instead of a call.
    WaitFor { driver: u32, subscribe: u32 },
}

/// A decoded system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syscall {
    /// Class 0.
    Yield(YieldKind),
    /// Class 1.
    Subscribe {
        driver: u32,
        subscribe: u32,
        upcall: usize,
        appdata: usize,
    },
    /// Class 2.
    Command {
        driver: u32,
        command: u32,
        arg1: u32,
        arg2: u32,
    },
    /// Class 3 (read-write), 4 (read-only), 7 (userspace-readable).
    Allow {
        kind: AllowKind,
        driver: u32,
        allow: u32,
        ptr: usize,
        len: usize,
    },
    /// Class 5.
    Memop { op: u32, arg: u32 },
    /// Class 6.
    Exit { restart: bool, code: u32 },
}

/// The three allow classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllowKind {
    /// Class 3.
    ReadWrite,
    /// Class 4.
    ReadOnly,
    /// Class 7.
    UserspaceReadable,
}

/// Why a trap could not be decoded; the caller answers with the error code given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The `svc` immediate is not a system-call class.
    UnknownClass(u8),
    /// Known class, unknown sub-operation (yield or exit kind).
    BadKind { class: u8, kind: u32 },
}

impl Syscall {
    /// Decodes class `class` (the `svc` immediate) with registers r0-r3.
    pub fn decode(class: u8, r: [u32; 4]) -> Result<Syscall, DecodeError> {
        Ok(match class {
            0 => Syscall::Yield(match r[0] {
                0 => YieldKind::NoWait {
                    flag_ptr: r[1] as usize,
                },
                1 => YieldKind::Wait,
                2 => YieldKind::WaitFor {
                    driver: r[1],
                    subscribe: r[2],
                },
                k => return Err(DecodeError::BadKind { class, kind: k }),
            }),
            1 => Syscall::Subscribe {
                driver: r[0],
                subscribe: r[1],
                upcall: r[2] as usize,
                appdata: r[3] as usize,
            },
            2 => Syscall::Command {
                driver: r[0],
                command: r[1],
                arg1: r[2],
                arg2: r[3],
            },
            3 | 4 | 7 => Syscall::Allow {
                kind: match class {
                    3 => AllowKind::ReadWrite,
                    4 => AllowKind::ReadOnly,
                    _ => AllowKind::UserspaceReadable,
                },
                driver: r[0],
                allow: r[1],
                ptr: r[2] as usize,
                len: r[3] as usize,
            },
            5 => Syscall::Memop {
                op: r[0],
                arg: r[1],
            },
            6 => match r[0] {
                0 => Syscall::Exit {
                    restart: false,
                    code: r[1],
                },
                1 => Syscall::Exit {
                    restart: true,
                    code: r[1],
                },
                k => return Err(DecodeError::BadKind { class, kind: k }),
            },
            c => return Err(DecodeError::UnknownClass(c)),
        })
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
    /// How many registers (r0 up) this variant writes: TRD104 and Tock's kernel write only
    /// those, and leave the rest as the process passed them (apps may keep values there).
    pub fn registers_used(self) -> usize {
        use SyscallReturn::*;
        match self {
            Success => 1,
            Failure(_) | SuccessU32(_) => 2,
            FailureU32(..) | SuccessU32U32(..) | SuccessU64(_) => 3,
            FailureU32U32(..) | FailureU64(..) | SuccessU32U32U32(..) | SuccessU32U64(..) => 4,
        }
    }
    /// The registers this return writes: `encode()` cut to `registers_used()`.
    pub fn written(self) -> ([u32; 4], usize) {
        (self.encode(), self.registers_used())
    }
    /// Registers r0-r3 for this return (unused ones 0).
    pub fn encode(self) -> [u32; 4] {
        use SyscallReturn::*;
        match self {
            Failure(e) => [0, e.as_u32(), 0, 0],
            FailureU32(e, a) => [1, e.as_u32(), a, 0],
            FailureU32U32(e, a, b) => [2, e.as_u32(), a, b],
            FailureU64(e, v) => [3, e.as_u32(), lo(v), hi(v)],
            Success => [128, 0, 0, 0],
            SuccessU32(a) => [129, a, 0, 0],
            SuccessU32U32(a, b) => [130, a, b, 0],
            SuccessU64(v) => [131, lo(v), hi(v), 0],
            SuccessU32U32U32(a, b, c) => [132, a, b, c],
            SuccessU32U64(a, v) => [133, a, lo(v), hi(v)],
        }
    }
    /// Decodes registers r0-r3 (what a userspace runtime does); `None` for an unknown variant
    /// or error number.
    pub fn decode(r: [u32; 4]) -> Option<SyscallReturn> {
        use SyscallReturn::*;
        let e = || ErrorCode::from_u32(r[1]);
        let wide = |a: u32, b: u32| (a as u64) | ((b as u64) << 32);
        Some(match r[0] {
            0 => Failure(e()?),
            1 => FailureU32(e()?, r[2]),
            2 => FailureU32U32(e()?, r[2], r[3]),
            3 => FailureU64(e()?, wide(r[2], r[3])),
            128 => Success,
            129 => SuccessU32(r[1]),
            130 => SuccessU32U32(r[1], r[2]),
            131 => SuccessU64(wide(r[1], r[2])),
            132 => SuccessU32U32U32(r[1], r[2], r[3]),
            133 => SuccessU32U64(r[1], wide(r[2], r[3])),
            _ => return None,
        })
    }
}

/// What a driver's `command` returns: a `SyscallReturn` restricted by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandReturn(SyscallReturn);

impl CommandReturn {
    /// Failure with an error code.
    pub fn failure(e: ErrorCode) -> Self {
        CommandReturn(SyscallReturn::Failure(e))
    }
    /// Failure with an error code and a value.
    pub fn failure_u32(e: ErrorCode, v: u32) -> Self {
        CommandReturn(SyscallReturn::FailureU32(e, v))
    }
    /// Success.
    pub fn success() -> Self {
        CommandReturn(SyscallReturn::Success)
    }
    /// Success with one value.
    pub fn success_u32(v: u32) -> Self {
        CommandReturn(SyscallReturn::SuccessU32(v))
    }
    /// Success with two values.
    pub fn success_u32_u32(a: u32, b: u32) -> Self {
        CommandReturn(SyscallReturn::SuccessU32U32(a, b))
    }
    /// Success with a 64-bit value.
    pub fn success_u64(v: u64) -> Self {
        CommandReturn(SyscallReturn::SuccessU64(v))
    }
    /// Success or the error of a `Result`.
    pub fn from_result(r: Result<(), ErrorCode>) -> Self {
        match r {
            Ok(()) => Self::success(),
            Err(e) => Self::failure(e),
        }
    }
    /// The system-call return this becomes.
    pub fn into_inner(self) -> SyscallReturn {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_class() {
        assert_eq!(
            Syscall::decode(0, [0, 0x2000_0000, 0, 0]),
            Ok(Syscall::Yield(YieldKind::NoWait {
                flag_ptr: 0x2000_0000
            }))
        );
        assert_eq!(
            Syscall::decode(0, [1, 0, 0, 0]),
            Ok(Syscall::Yield(YieldKind::Wait))
        );
        assert_eq!(
            Syscall::decode(0, [2, 3, 4, 0]),
            Ok(Syscall::Yield(YieldKind::WaitFor {
                driver: 3,
                subscribe: 4
            }))
        );
        assert_eq!(
            Syscall::decode(0, [3, 0, 0, 0]),
            Err(DecodeError::BadKind { class: 0, kind: 3 })
        );
        assert_eq!(
            Syscall::decode(1, [1, 2, 0x41, 9]),
            Ok(Syscall::Subscribe {
                driver: 1,
                subscribe: 2,
                upcall: 0x41,
                appdata: 9
            })
        );
        assert_eq!(
            Syscall::decode(2, [0x40001, 1, 8, 0]),
            Ok(Syscall::Command {
                driver: 0x40001,
                command: 1,
                arg1: 8,
                arg2: 0
            })
        );
        for (class, kind) in [
            (3, AllowKind::ReadWrite),
            (4, AllowKind::ReadOnly),
            (7, AllowKind::UserspaceReadable),
        ] {
            assert_eq!(
                Syscall::decode(class, [1, 0, 0x2000_8000, 16]),
                Ok(Syscall::Allow {
                    kind,
                    driver: 1,
                    allow: 0,
                    ptr: 0x2000_8000,
                    len: 16
                })
            );
        }
        assert_eq!(
            Syscall::decode(5, [1, 64, 0, 0]),
            Ok(Syscall::Memop { op: 1, arg: 64 })
        );
        assert_eq!(
            Syscall::decode(6, [0, 5, 0, 0]),
            Ok(Syscall::Exit {
                restart: false,
                code: 5
            })
        );
        assert_eq!(
            Syscall::decode(6, [1, 0, 0, 0]),
            Ok(Syscall::Exit {
                restart: true,
                code: 0
            })
        );
        assert_eq!(
            Syscall::decode(6, [2, 0, 0, 0]),
            Err(DecodeError::BadKind { class: 6, kind: 2 })
        );
        assert_eq!(
            Syscall::decode(8, [0; 4]),
            Err(DecodeError::UnknownClass(8))
        );
        assert_eq!(
            Syscall::decode(255, [0; 4]),
            Err(DecodeError::UnknownClass(255))
        );
    }

    #[test]
    fn encodes_every_variant() {
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
        for (ret, regs) in cases {
            assert_eq!(ret.encode(), regs, "{:?}", ret);
            assert_eq!(SyscallReturn::decode(regs), Some(ret));
        }
        // Only the variant's own registers are written (TRD104: Failure r0-r1, SuccessU32
        // r0-r1, SuccessU32U32 r0-r2, ...).
        let mut used = [0usize; 10];
        for (i, (r, _)) in cases.iter().enumerate() {
            used[i] = r.registers_used();
        }
        assert_eq!(used, [2, 3, 4, 4, 1, 2, 3, 3, 4, 4]);
        assert_eq!(SyscallReturn::decode([4, 0, 0, 0]), None);
        assert_eq!(SyscallReturn::decode([0, 99, 0, 0]), None);
    }

    #[test]
    fn command_return_helpers() {
        assert_eq!(
            CommandReturn::from_result(Err(ErrorCode::Busy))
                .into_inner()
                .encode(),
            [0, 2, 0, 0]
        );
        assert_eq!(
            CommandReturn::success_u64(1).into_inner().encode(),
            [131, 1, 0, 0]
        );
    }
}
