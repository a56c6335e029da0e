//! System-call encoding (TRD104): decoding a trap's class and registers into a `Syscall`.
//!
//! The numbers (classes, yield and exit kinds) and the return values (`SyscallReturn`, its
//! encoding into r0-r3) come from the ABI crate shared with the apps runtime.
//!
//! ```
//! use kernel::syscall::{Syscall, SyscallReturn};
//! use kernel::ErrorCode;
//! let call = Syscall::decode(2, [1, 1, 5, 0]).unwrap();
//! assert_eq!(call, Syscall::Command { driver: 1, command: 1, arg1: 5, arg2: 0 });
//! assert_eq!(SyscallReturn::Failure(ErrorCode::NoSupport).encode(), [0, 10, 0, 0]);
//! ```

use crate::ErrorCode;
pub use abi::SyscallReturn;
use abi::{ExitKind, SyscallClass};

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
        let c = match SyscallClass::from_number(class) {
            Some(c) => c,
            None => return Err(DecodeError::UnknownClass(class)),
        };
        Ok(match c {
            SyscallClass::Yield => Syscall::Yield(match abi::YieldKind::from_number(r[0]) {
                Some(abi::YieldKind::NoWait) => YieldKind::NoWait {
                    flag_ptr: r[1] as usize,
                },
                Some(abi::YieldKind::Wait) => YieldKind::Wait,
                Some(abi::YieldKind::WaitFor) => YieldKind::WaitFor {
                    driver: r[1],
                    subscribe: r[2],
                },
                None => return Err(DecodeError::BadKind { class, kind: r[0] }),
            }),
            SyscallClass::Subscribe => Syscall::Subscribe {
                driver: r[0],
                subscribe: r[1],
                upcall: r[2] as usize,
                appdata: r[3] as usize,
            },
            SyscallClass::Command => Syscall::Command {
                driver: r[0],
                command: r[1],
                arg1: r[2],
                arg2: r[3],
            },
            SyscallClass::ReadWriteAllow
            | SyscallClass::ReadOnlyAllow
            | SyscallClass::UserspaceReadableAllow => Syscall::Allow {
                kind: match c {
                    SyscallClass::ReadWriteAllow => AllowKind::ReadWrite,
                    SyscallClass::ReadOnlyAllow => AllowKind::ReadOnly,
                    _ => AllowKind::UserspaceReadable,
                },
                driver: r[0],
                allow: r[1],
                ptr: r[2] as usize,
                len: r[3] as usize,
            },
            SyscallClass::Memop => Syscall::Memop {
                op: r[0],
                arg: r[1],
            },
            SyscallClass::Exit => match ExitKind::from_number(r[0]) {
                Some(k) => Syscall::Exit {
                    restart: k == ExitKind::Restart,
                    code: r[1],
                },
                None => return Err(DecodeError::BadKind { class, kind: r[0] }),
            },
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
