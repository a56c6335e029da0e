//! System-call dispatch: one trap of a process, decoded and served.
//!
//! `handle_syscall` decodes the class and registers (`syscall.rs`), checks what the process
//! passed (driver exists, subscribe and allow numbers the driver accepts, upcall inside its
//! flash, buffers inside its memory) and serves the call: subscribe, command and allow through
//! the board's drivers, yield and exit through the scheduler's states, memop here. The result
//! is written into the process's saved frame (`ret`), only the registers its variant uses.

use crate::kernel::FAULT_PREFIX;
use crate::platform::{FaultInfo, Platform, ReturnSlot};
use crate::process::{AllowEntry, Process, State, Subscription};
use crate::syscall::{AllowKind, DecodeError, Syscall, SyscallReturn, YieldKind};
use crate::{kprintln, ErrorCode, Kernel};
use abi::{MemopOp, ReturnVariant, SyscallClass, TraceEvent};
use core::sync::atomic::{AtomicPtr, Ordering};

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

    /// Command: `[driver, command, arg1, arg2]` to the driver, its return to the process
    /// (NODEVICE without a driver), unless the driver ended or restarted the process. The
    /// return goes straight to the registers the architecture found at the trap (`ReturnSlot`:
    /// a command changes no process's memory bounds, so the frame checked then is still the
    /// process's), not through the boundary's `set_syscall_return`.
    #[inline(always)]
    fn handle_command(
        &self,
        platform: &dyn Platform,
        p: &'static Process,
        pid: crate::process::ProcessId,
        [driver, command, arg1, arg2]: [u32; 4],
        slot: ReturnSlot,
    ) {
        let r = match platform.driver(driver) {
            Some(d) => d.command(command, arg1, arg2, pid).into_inner(),
            None => SyscallReturn::Failure(ErrorCode::NoDevice),
        };
        // The driver may have ended or restarted the process (e.g. the console): then its
        // frame is no longer this trap's, and nothing is written.
        if self.process(pid).is_some() && p.state() == State::Running {
            let (regs, used) = r.written();
            slot.write(&regs[..used]);
        }
    }

    // Not inlined into the scheduler's loop: its size made the loop spill registers on the
    // timeslice path, which never serves a call.
    #[inline(never)]
    pub(crate) fn handle_syscall(
        &self,
        platform: &dyn Platform,
        p: &'static Process,
        class: u8,
        args: [u32; 4],
        slot: ReturnSlot,
    ) {
        p.note_syscall(class, &args);
        self.syscall_total
            .set(self.syscall_total.get().wrapping_add(1));
        let pid = match p.id() {
            Some(pid) => pid,
            None => return,
        };
        // Command, the call every driver use makes, straight from the registers: its four
        // are all plain values (TRD104 4.3.5), so there is nothing for `decode` to check and
        // no `Syscall` to build and match again.
        if class == SyscallClass::Command.number() {
            return self.handle_command(platform, p, pid, args, slot);
        }
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
            } => self.handle_command(platform, p, pid, [driver, command, arg1, arg2], slot),
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
            _ => memop_query(p, op).unwrap_or(SyscallReturn::Failure(ErrorCode::NoSupport)),
        }
    }

    /// The system-call fast path: answers, in the architecture's SVC handler (handler mode,
    /// the kernel thread suspended in the context switch), the calls of the running process
    /// that only read or write that process's own state, and returns straight to it:
    /// yield-no-wait with no upcall queued (the flag byte becomes 0; nothing else changes) and
    /// the memop operations that answer a question (2-11: no brk/sbrk, which reprogram the
    /// MPU). Anything else, or no process running, is `FastAnswer::No`: the handler goes
    /// back to the kernel thread, whose `run_process` loop serves it as before.
    ///
    /// Tock's semantics are kept: the call is counted (`syscall_total`, the process's
    /// system calls and last system call) and answered as the slow path would answer it. The
    /// process's timeslice and pending interrupts need no check here: every exception has the
    /// same (reset) priority, so none preempts the SVC handler; a SysTick or interrupt that
    /// arrives meanwhile is taken as the handler returns (tail-chained), and takes the process
    /// back to the kernel as it would have at the next instruction.
    ///
    /// `regs` holds r0-r3 of the process's exception frame: the arguments in, and, when the
    /// call was answered, the registers its return variant uses out (the others stay as
    /// stacked). The running process is the one `run_process` published (`FAST_PATH.process`)
    /// when it started running it: no process-table lookup on the path.
    #[inline]
    pub fn fast_syscall(class: u8, regs: &mut [u32; 4]) -> FastAnswer {
        let p = FAST_PATH.process.load(Ordering::Relaxed);
        if p.is_null() {
            return FastAnswer::No;
        }
        // SAFETY: `run_process` stores a `&'static Process` here for as long as it runs that
        // process (cleared before it returns); the process table lives for ever.
        let p: &'static Process = unsafe { &*p };
        // No state or stopped check: `run_process` switches to a process only while it is
        // Running and not stopped, and both change only on the kernel thread, which is
        // suspended in that switch while the process runs.
        let answer = if class == SyscallClass::Yield.number() {
            if regs[0] != abi::YieldKind::NoWait.number() || p.upcalls_pending() != 0 {
                return FastAnswer::No;
            }
            let flag_ptr = regs[1] as usize;
            let wrote = flag_ptr != 0 && p.in_process_memory(flag_ptr, 1, false);
            if wrote {
                // SAFETY: the byte lies inside the process's own RAM below its break
                // (checked just above) and the process is suspended in this trap.
                unsafe { core::ptr::write_volatile(flag_ptr as *mut u8, 0) };
            }
            count_fast(p, class, regs);
            return if wrote {
                FastAnswer::WroteMemory
            } else {
                FastAnswer::Yes
            };
        } else if class == SyscallClass::Memop.number() {
            match MemopOp::from_number(regs[0]).and_then(|op| memop_query(p, op)) {
                Some(r) => r,
                None => return FastAnswer::No,
            }
        } else {
            return FastAnswer::No;
        };
        count_fast(p, class, regs);
        // The variants memop answers with, encoded directly (the general `written` costs
        // more than the rest of the fast path).
        match answer {
            SyscallReturn::Success => regs[0] = ReturnVariant::Success.number(),
            SyscallReturn::SuccessU32(v) => {
                regs[0] = ReturnVariant::SuccessU32.number();
                regs[1] = v;
            }
            SyscallReturn::Failure(e) => {
                regs[0] = ReturnVariant::Failure.number();
                regs[1] = e.as_u32();
            }
            r => write_return(r, regs),
        }
        FastAnswer::Yes
    }

    /// The memory the running process may access (the one `run_process` or the SysTick
    /// handler's switch published), (0, 0) when none runs: the architecture reads it when
    /// its switch came back from another process than it started.
    pub fn running_accessible() -> crate::platform::Accessible {
        let p = FAST_PATH.process.load(Ordering::Relaxed);
        if p.is_null() {
            return (0, 0);
        }
        // SAFETY: `run_process` and the handler's switch store only `&'static Process` here.
        unsafe { &*p }.accessible()
    }

    /// Makes this kernel the one the fast path serves (`run` calls it).
    pub(crate) fn enable_fast_path(&'static self) {
        FAST_PATH
            .kernel
            .store(self as *const Kernel as *mut Kernel, Ordering::Relaxed);
    }
}

/// What the handler-mode paths read, side by side in one static so a handler reaches all of
/// it from one address.
#[repr(C)]
struct FastPath {
    /// The kernel `Kernel::fast_syscall` serves (null until `run`).
    kernel: AtomicPtr<Kernel>,
    /// The process `run_process` is running (null between timeslices): the one whose system
    /// calls `Kernel::fast_syscall` may answer.
    process: AtomicPtr<Process>,
}

static FAST_PATH: FastPath = FastPath {
    kernel: AtomicPtr::new(core::ptr::null_mut()),
    process: AtomicPtr::new(core::ptr::null_mut()),
};

/// What `Kernel::fast_syscall` did with a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum FastAnswer {
    /// Not answered: the kernel thread serves it.
    No = 0,
    /// Answered; the return registers are in the frame.
    Yes = 1,
    /// Answered, and the process's memory was written (a yield flag byte), which may be its
    /// own exception frame: the caller re-checks the frame before returning to it.
    WroteMemory = 2,
}

/// Publishes (or, with `None`, withdraws) the process whose calls the fast path answers.
pub(crate) fn set_fast_path_process(p: Option<&'static Process>) {
    let ptr = p.map_or(core::ptr::null_mut(), |p| {
        p as *const Process as *mut Process
    });
    FAST_PATH.process.store(ptr, Ordering::Relaxed);
}

/// The kernel and the process the fast paths serve, when `run_process` is running one.
#[inline]
pub(crate) fn fast_path() -> Option<(&'static Kernel, &'static Process)> {
    let p = FAST_PATH.process.load(Ordering::Relaxed);
    if p.is_null() {
        return None;
    }
    // A process is published only by `run_process`, which `run` calls after it published
    // the kernel (`enable_fast_path`): the kernel is set whenever a process is.
    let k = FAST_PATH.kernel.load(Ordering::Relaxed);
    // SAFETY: `run` stores only `&'static Kernel` and `run_process` only `&'static Process`
    // (cleared before it returns); both live for ever, and `k` is set (above).
    Some(unsafe { (&*k, &*p) })
}

/// Counts a call the fast path answered as the slow path counts it (`handle_syscall`).
#[inline(always)]
fn count_fast(p: &Process, class: u8, regs: &[u32; 4]) {
    p.note_syscall(class, regs);
    let k = FAST_PATH.kernel.load(Ordering::Relaxed);
    if !k.is_null() {
        // SAFETY: `run` stores only `&'static Kernel` here; the kernel lives for ever.
        let k: &Kernel = unsafe { &*k };
        k.syscall_total.set(k.syscall_total.get().wrapping_add(1));
    }
}

/// The registers of a return variant the fast path does not encode inline (none of
/// memop's today; kept general and out of the hot path).
#[cold]
#[inline(never)]
fn write_return(r: SyscallReturn, regs: &mut [u32; 4]) {
    let (out, used) = r.written();
    regs[..used].copy_from_slice(&out[..used]);
}

/// The memop operations that only answer a question about the process's memory (TRD104 memop
/// 2-11); `None` for brk and sbrk.
#[inline]
fn memop_query(p: &Process, op: MemopOp) -> Option<SyscallReturn> {
    let l = p.layout();
    Some(match op {
        MemopOp::Brk | MemopOp::Sbrk => return None,
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
    })
}
