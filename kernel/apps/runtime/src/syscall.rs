//! The eight TRD104 system-call classes, with their return values decoded into types.
//!
//! On Cortex-M the class is the `svc` immediate and r0-r3 carry arguments and results; r0 of the
//! result is the return variant (failure 0-3, success 128-133) and failures carry an
//! [`ErrorCode`] in r1. The numbers, `ErrorCode` and `SyscallReturn` come from the `abi` crate
//! the kernel uses too; registers that do not decode become `Failure(BADRVAL)`. Upcalls run
//! while a process is in `yield`, so every call that may yield treats all caller-saved
//! registers as clobbered.
//!
//! ```ignore
//! use capsule_rt::syscall::{command, SyscallReturn};
//! if let SyscallReturn::Success = command(1, 0, 0, 0) { /* console exists */ }
//! ```

pub use abi::{ErrorCode, SyscallReturn};

/// Upcall signature: three values from the driver and the appdata given at subscribe.
pub type Upcall = unsafe extern "C" fn(u32, u32, u32, usize);

#[cfg(target_arch = "arm")]
pub use arm::*;

#[cfg(target_arch = "arm")]
mod arm {
    use super::{ErrorCode, SyscallReturn, Upcall};
    use core::arch::asm;

    macro_rules! svc {
        ($name:ident, $class:literal) => {
            /// Raw system call of this class: r0-r3 in, r0-r3 out.
            ///
            /// # Safety
            /// The kernel may read or write memory the arguments point at (allow, yield) and may
            /// run upcalls before returning: the caller guarantees those pointers are valid for
            /// what the class does with them.
            #[inline(always)]
            pub unsafe fn $name(args: [u32; 4]) -> [u32; 4] {
                let (mut r0, mut r1, mut r2, mut r3) = (args[0], args[1], args[2], args[3]);
                // SAFETY: the caller upholds the pointer contract above; upcalls run inside the
                // call may clobber every caller-saved register, all declared here.
                unsafe {
                    asm!(
                        concat!("svc ", $class),
                        inout("r0") r0,
                        inout("r1") r1,
                        inout("r2") r2,
                        inout("r3") r3,
                        out("r12") _,
                        out("lr") _,
                    );
                }
                [r0, r1, r2, r3]
            }
        };
    }

    svc!(svc0, "0");
    svc!(svc1, "1");
    svc!(svc2, "2");
    svc!(svc3, "3");
    svc!(svc4, "4");
    svc!(svc5, "5");
    svc!(svc6, "6");
    svc!(svc7, "7");

    /// Any class by number (the fuzzer's entry point). Classes above 7 are not issued.
    ///
    /// # Safety
    /// As for the class-specific calls: pointer arguments must be valid for what that class
    /// does with them, or the kernel must be trusted to refuse them (the fuzzer's premise).
    pub unsafe fn raw(class: u8, args: [u32; 4]) -> [u32; 4] {
        // SAFETY: forwarded contract of this function.
        unsafe {
            match class {
                0 => svc0(args),
                1 => svc1(args),
                2 => svc2(args),
                3 => svc3(args),
                4 => svc4(args),
                5 => svc5(args),
                6 => svc6(args),
                _ => svc7(args),
            }
        }
    }

    /// Yield-no-wait: runs one pending upcall if any; returns whether one ran.
    pub fn yield_no_wait() -> bool {
        let mut flag: u8 = 0;
        // SAFETY: the kernel writes one byte to `flag`, which lives across the call.
        unsafe { svc0([0, &mut flag as *mut u8 as u32, 0, 0]) };
        flag != 0
    }

    /// Yield-wait: sleeps until one upcall has run.
    pub fn yield_wait() {
        // SAFETY: no pointers; upcalls run inside are the subscribers' responsibility.
        unsafe { svc0([1, 0, 0, 0]) };
    }

    /// Yield-wait-for: sleeps until the upcall `(driver, subscribe)` is scheduled and returns its
    /// three values instead of running a function.
    pub fn yield_wait_for(driver: u32, subscribe: u32) -> (u32, u32, u32) {
        // SAFETY: no pointers.
        let r = unsafe { svc0([2, driver, subscribe, 0]) };
        (r[0], r[1], r[2])
    }

    /// Subscribe: installs `upcall` (None = null upcall) with `data`; returns the previous pair.
    ///
    /// # Safety
    /// `upcall` will run during later yields with `data` as its fourth argument: whatever `data`
    /// points at must stay valid until the slot is replaced.
    pub unsafe fn subscribe(
        driver: u32,
        subscribe: u32,
        upcall: Option<Upcall>,
        data: usize,
    ) -> Result<(u32, u32), ErrorCode> {
        let f = upcall.map_or(0, |f| f as usize as u32);
        // SAFETY: forwarded to the caller (see # Safety).
        let r = unsafe { svc1([driver, subscribe, f, data as u32]) };
        match SyscallReturn::decode_or_badrval(r) {
            SyscallReturn::SuccessU32U32(p, d) => Ok((p, d)),
            other => Err(other.error().unwrap_or(ErrorCode::BadRVal)),
        }
    }

    /// Command: asks driver `driver` to do `command` with two arguments.
    pub fn command(driver: u32, command: u32, arg1: u32, arg2: u32) -> SyscallReturn {
        // SAFETY: command passes values, never pointers the kernel dereferences.
        SyscallReturn::decode_or_badrval(unsafe { svc2([driver, command, arg1, arg2]) })
    }

    fn allow_result(r: [u32; 4]) -> Result<(u32, u32), ErrorCode> {
        match SyscallReturn::decode_or_badrval(r) {
            SyscallReturn::SuccessU32U32(p, l) => Ok((p, l)),
            other => Err(other.error().unwrap_or(ErrorCode::BadRVal)),
        }
    }

    /// Read-write allow: lends `len` bytes at `ptr` to the driver; returns the previous buffer.
    ///
    /// # Safety
    /// The kernel may write the buffer until it is allowed back (allow of (0, 0) to the same
    /// slot); the caller must not use it meanwhile and must keep it alive.
    pub unsafe fn allow_rw(
        driver: u32,
        num: u32,
        ptr: *mut u8,
        len: usize,
    ) -> Result<(u32, u32), ErrorCode> {
        // SAFETY: forwarded to the caller (see # Safety).
        allow_result(unsafe { svc3([driver, num, ptr as u32, len as u32]) })
    }

    /// Read-only allow: lends `len` bytes at `ptr` for reading; returns the previous buffer.
    ///
    /// # Safety
    /// The buffer must stay alive and unchanged until it is allowed back.
    pub unsafe fn allow_ro(
        driver: u32,
        num: u32,
        ptr: *const u8,
        len: usize,
    ) -> Result<(u32, u32), ErrorCode> {
        // SAFETY: forwarded to the caller (see # Safety).
        allow_result(unsafe { svc4([driver, num, ptr as u32, len as u32]) })
    }

    /// Userspace-readable allow: like read-write, but the app may read the buffer meanwhile.
    ///
    /// # Safety
    /// As for [`allow_rw`], except that reads by the app are allowed.
    pub unsafe fn allow_userspace_readable(
        driver: u32,
        num: u32,
        ptr: *mut u8,
        len: usize,
    ) -> Result<(u32, u32), ErrorCode> {
        // SAFETY: forwarded to the caller (see # Safety).
        allow_result(unsafe { svc7([driver, num, ptr as u32, len as u32]) })
    }

    /// Memop `op` with one argument (0 brk, 1 sbrk, 2-9 memory layout queries, 10/11 debug aids).
    pub fn memop(op: u32, arg: u32) -> SyscallReturn {
        // SAFETY: memop arguments are addresses the kernel validates, never dereferenced here.
        SyscallReturn::decode_or_badrval(unsafe { svc5([op, arg, 0, 0]) })
    }

    /// Exit-terminate: the process ends with `code` and does not run again.
    pub fn exit_terminate(code: u32) -> ! {
        // SAFETY: no pointers; the kernel does not return to a terminated process.
        unsafe { svc6([0, code, 0, 0]) };
        loop {
            yield_wait();
        }
    }

    /// Exit-restart: the kernel restarts the process from its entry point.
    pub fn exit_restart(code: u32) -> ! {
        // SAFETY: no pointers; the kernel does not return to a restarted process.
        unsafe { svc6([1, code, 0, 0]) };
        loop {
            yield_wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_that_do_not_decode_are_badrval() {
        assert_eq!(
            SyscallReturn::decode_or_badrval([0, 6, 0, 0]),
            SyscallReturn::Failure(ErrorCode::Invalid)
        );
        assert_eq!(
            SyscallReturn::decode_or_badrval([4, 0, 0, 0]).error(),
            Some(ErrorCode::BadRVal)
        );
        assert_eq!(
            SyscallReturn::decode_or_badrval([0, 14, 0, 0]).error(),
            Some(ErrorCode::BadRVal)
        );
        assert_eq!(
            SyscallReturn::decode_or_badrval([129, 3, 0, 0]).to_u32(),
            Ok(3)
        );
    }
}
