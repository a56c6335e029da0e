//! System-call dispatch: one trap of a process, decoded and served.
//!
//! `handle_syscall` decodes the class and registers (`syscall.rs`), checks what the process
//! passed (driver exists, subscribe and allow numbers the driver accepts, upcall inside its
//! flash, buffers inside its memory) and serves the call: subscribe, command and allow through
//! the board's drivers, yield and exit through the scheduler's states, memop here. The result
//! is written into the process's saved frame (`ret`), only the registers its variant uses.

use crate::kernel::FAULT_PREFIX;
use crate::platform::{FaultInfo, Platform};
use crate::process::{AllowEntry, Process, State, Subscription};
use crate::syscall::{AllowKind, DecodeError, Syscall, SyscallReturn, YieldKind};
use crate::{kprintln, ErrorCode, Kernel};
use abi::{MemopOp, TraceEvent};

impl Kernel {
    fn ret(&self, platform: &dyn Platform, p: &Process, r: SyscallReturn) {
        let (regs, used) = r.written();
        let acc = p.accessible();
        if p.with_stored(|st| {
            platform
                .boundary()
                .set_syscall_return(st, acc, &regs[..used])
        })
        .is_err()
        {
            kprintln!(
                "{} '{}': its stack pointer is outside its memory",
                FAULT_PREFIX,
                p.name()
            );
            self.apply_fault_policy(p, &FaultInfo::default());
        }
    }

    pub(crate) fn handle_syscall(
        &self,
        platform: &dyn Platform,
        p: &'static Process,
        class: u8,
        args: [u32; 4],
    ) {
        p.note_syscall(class, args);
        self.syscall_total
            .set(self.syscall_total.get().wrapping_add(1));
        let pid = match p.id() {
            Some(pid) => pid,
            None => return,
        };
        let call = match Syscall::decode(class, args) {
            Ok(c) => c,
            Err(DecodeError::UnknownClass(c)) => {
                self.warn(
                    p,
                    format_args!("unknown system call class {} (svc {})", c, c),
                );
                return self.ret(platform, p, SyscallReturn::Failure(ErrorCode::NoSupport));
            }
            Err(DecodeError::BadKind { class, kind }) => {
                self.warn(
                    p,
                    format_args!("system call class {} has no operation {}", class, kind),
                );
                // An unknown yield returns to the process with its registers untouched, as on
                // Tock; an unknown exit fails with NOSUPPORT.
                if class == 0 {
                    return;
                }
                return self.ret(platform, p, SyscallReturn::Failure(ErrorCode::NoSupport));
            }
        };
        match call {
            Syscall::Yield(kind) => self.handle_yield(platform, p, kind),
            Syscall::Subscribe {
                driver,
                subscribe,
                upcall,
                appdata,
            } => {
                let fail = |e| SyscallReturn::FailureU32U32(e, upcall as u32, appdata as u32);
                let r = if platform.driver(driver).is_none() {
                    fail(ErrorCode::NoDevice)
                } else if !platform
                    .driver(driver)
                    .map_or(false, |d| d.subscribe_number_ok(subscribe))
                {
                    fail(ErrorCode::NoSupport)
                } else if upcall != 0 && !p.valid_function(upcall) {
                    self.warn(p, format_args!("subscribe to driver {:#x} with bad upcall address {:#010x} (outside its flash)", driver, upcall));
                    fail(ErrorCode::Invalid)
                } else {
                    match p.subscribe(Subscription {
                        driver,
                        subscribe,
                        function: upcall,
                        appdata,
                    }) {
                        Some((f, a)) => SyscallReturn::SuccessU32U32(f as u32, a as u32),
                        None => fail(ErrorCode::NoMem),
                    }
                };
                self.ret(platform, p, r)
            }
            Syscall::Command {
                driver,
                command,
                arg1,
                arg2,
            } => {
                let r = match platform.driver(driver) {
                    Some(d) => d.command(command, arg1, arg2, pid).into_inner(),
                    None => SyscallReturn::Failure(ErrorCode::NoDevice),
                };
                // The driver may have ended or restarted the process (e.g. the console).
                if self.process(pid).is_some() && p.state() == State::Running {
                    self.ret(platform, p, r)
                }
            }
            Syscall::Allow {
                kind,
                driver,
                allow,
                ptr,
                len,
            } => {
                let readonly = kind == AllowKind::ReadOnly;
                let fail = |e| SyscallReturn::FailureU32U32(e, ptr as u32, len as u32);
                let r = match platform.driver(driver) {
                    None => fail(ErrorCode::NoDevice),
                    Some(d) if !d.allow_number_ok(readonly, allow) => fail(ErrorCode::NoSupport),
                    Some(_) => {
                        if len != 0 && !p.in_process_memory(ptr, len, readonly) {
                            self.warn(
                                p,
                                format_args!(
                                    "allow of buffer {:#010x}+{} to driver {:#x} refused: outside the process's memory",
                                    ptr, len, driver
                                ),
                            );
                            fail(ErrorCode::Invalid)
                        } else {
                            let entry = AllowEntry {
                                driver,
                                number: allow,
                                readonly,
                                ptr: if len == 0 { 0 } else { ptr },
                                len,
                            };
                            match p.allow(entry) {
                                Some((pp, pl)) => {
                                    SyscallReturn::SuccessU32U32(pp as u32, pl as u32)
                                }
                                None => fail(ErrorCode::NoMem),
                            }
                        }
                    }
                };
                self.ret(platform, p, r)
            }
            Syscall::Memop { op, arg } => {
                let r = self.memop(platform, p, op, arg);
                self.ret(platform, p, r)
            }
            Syscall::Exit { restart, code } => {
                if restart {
                    kprintln!(
                        "[kernel] process '{}' exited with code {} and asked to restart",
                        p.name(),
                        code
                    );
                    self.restart_process(p);
                } else {
                    kprintln!("[kernel] process '{}' exited with code {}", p.name(), code);
                    self.terminate_process(p, Some(code));
                }
            }
        }
    }

    fn handle_yield(&self, platform: &dyn Platform, p: &Process, kind: YieldKind) {
        match kind {
            YieldKind::NoWait { flag_ptr } => {
                let ran = match p.dequeue_upcall(None) {
                    Some(u) => self.deliver_upcall(platform, p, u),
                    None => false,
                };
                if p.state() != State::Running {
                    return;
                }
                if flag_ptr != 0 && p.in_process_memory(flag_ptr, 1, false) {
                    // SAFETY: the byte lies inside the process's own RAM below its break
                    // (checked just above) and the process is suspended.
                    unsafe { core::ptr::write_volatile(flag_ptr as *mut u8, ran as u8) };
                }
                // Yield-no-wait has no return value: the registers stay as the process left
                // them (TRD104; Tock's kernel writes none either).
            }
            YieldKind::Wait => {
                p.set_state(State::Yielded);
            }
            YieldKind::WaitFor { driver, subscribe } => {
                if let Some(u) = p.dequeue_upcall(Some((driver, subscribe))) {
                    self.trace(TraceEvent::UpcallDelivered, p, driver, subscribe);
                    let acc = p.accessible();
                    if p.with_stored(|st| platform.boundary().set_syscall_return(st, acc, &u.args))
                        .is_err()
                    {
                        self.apply_fault_policy(p, &FaultInfo::default());
                    }
                } else {
                    p.set_state(State::YieldedFor { driver, subscribe });
                }
            }
        }
    }

    fn memop(&self, platform: &dyn Platform, p: &Process, op: u32, arg: u32) -> SyscallReturn {
        let l = p.layout();
        let op = match MemopOp::from_number(op) {
            Some(op) => op,
            None => return SyscallReturn::Failure(ErrorCode::NoSupport),
        };
        match op {
            MemopOp::Brk | MemopOp::Sbrk => {
                let old = p.app_break();
                let new = if op == MemopOp::Brk {
                    arg as usize
                } else {
                    let delta = arg as i32 as isize;
                    match (old as isize).checked_add(delta) {
                        Some(v) if v >= 0 => v as usize,
                        _ => return SyscallReturn::Failure(ErrorCode::Invalid),
                    }
                };
                if new < l.ram_start || new > p.kernel_break() {
                    return SyscallReturn::Failure(ErrorCode::NoMem);
                }
                match platform.mpu().compute(
                    (l.flash_start, l.flash_end - l.flash_start),
                    l.ram_start,
                    new,
                    p.kernel_break(),
                ) {
                    // The MPU rounds the break up; the rounded break is what the process can
                    // reach, so it is the break (grants never go below it).
                    Ok((cfg, eff)) => {
                        p.set_app_break(eff, cfg);
                        if op == MemopOp::Brk {
                            SyscallReturn::Success
                        } else {
                            SyscallReturn::SuccessU32(old as u32)
                        }
                    }
                    Err(_) => SyscallReturn::Failure(ErrorCode::NoMem),
                }
            }
            MemopOp::RamStart => SyscallReturn::SuccessU32(l.ram_start as u32),
            MemopOp::RamEnd => SyscallReturn::SuccessU32(l.ram_end as u32),
            MemopOp::FlashStart => SyscallReturn::SuccessU32(l.flash_start as u32),
            MemopOp::FlashEnd => SyscallReturn::SuccessU32(l.flash_end as u32),
            MemopOp::GrantRegionStart => SyscallReturn::SuccessU32(p.kernel_break() as u32),
            MemopOp::WriteableFlashRegions => SyscallReturn::SuccessU32(0),
            MemopOp::WriteableFlashRegionStart | MemopOp::WriteableFlashRegionEnd => {
                SyscallReturn::Failure(ErrorCode::Invalid)
            }
            MemopOp::DeclareStackTop | MemopOp::DeclareHeapStart => SyscallReturn::Success,
        }
    }
}
