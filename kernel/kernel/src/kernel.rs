//! The kernel object: the process table, grants, and what capsules and the console call.
//!
//! The kernel's work is split by phase: `loader.rs` discovers and installs apps
//! (`Kernel::load_processes`), `scheduler.rs` runs them (`Kernel::run`: service interrupts,
//! pick the next ready process round-robin, run it for a timeslice or until it yields, apply
//! fault policies) and `dispatch.rs` serves their system calls. This file holds the state
//! they share and the services capsules use (grants, upcalls, allowed buffers) and the process
//! console's controls (restart, terminate, fault). Faults and bad arguments affect only the
//! guilty process; nothing a process does makes the kernel panic.

use crate::grant::Grant;
use crate::platform::{FaultInfo, Platform};
use crate::process::{Process, ProcessId, State, Upcall};
use crate::scheduler::Scheduler;
use crate::{kprintln, ErrorCode};
use abi::TraceEvent;
use cells::{OptionalCell, StaticCell};
use core::cell::Cell;

/// Timeslice length.
pub const TIMESLICE_US: u32 = 10_000;
/// Bytes at the top of each process's RAM reserved for grants.
pub const GRANT_RESERVE: usize = 1024;
/// Bytes a process may touch when it starts: room for the 8-word exception frame of its first
/// system call and nothing more, as on Tock's Cortex-M kernels. Everything else (stack, data,
/// bss, heap) the process must claim with memop brk/sbrk first; the MPU enforces the break.
pub const INITIAL_APP_BREAK: usize = 32;
/// Warnings (bad allow, bad subscribe...) printed per process before going quiet.
pub const MAX_WARNINGS_PER_PROCESS: u32 = 8;

/// Kernel version for `kernel` and the attributes.
pub const VERSION: &str = "0.1.0";

/// The Tock kernel ABI this kernel speaks (TBF KernelVersion TLV: apps asking for ^2.x with x up
/// to this minor load; TRD104 including yield-wait-for and userspace-readable allow).
pub const ABI_VERSION: (u16, u16) = abi::ABI_VERSION;

/// The fixed prefix of every process fault report.
pub const FAULT_PREFIX: &str = "[kernel] process fault:";

/// Where apps and their RAM live.
#[derive(Clone, Copy, Debug)]
pub struct AppRegions {
    /// The apps flash region (TBFs back to back from its start).
    pub flash: &'static [u8],
    /// Start address of `flash`.
    pub flash_base: usize,
    /// App RAM region start.
    pub ram_start: usize,
    /// App RAM region size.
    pub ram_size: usize,
}

/// Called by the kernel on a process fault or panic policy: the board halts the system.
pub type PanicHook = fn(&Process, &FaultInfo) -> !;

/// The kernel state. Debuggers find it through the debug anchor (`anchor.rs`) and read its
/// fields by name from the DWARF: keep the names meaningful.
pub struct Kernel {
    /// The process table (every slot, used or not).
    pub(crate) processes: &'static [Process],
    /// The round-robin scheduler's state.
    pub(crate) scheduler: Scheduler,
    /// The next process incarnation id.
    pub(crate) next_id: Cell<u32>,
    /// Grants created by the board (each capsule with per-process state has one).
    pub(crate) grants: Cell<usize>,
    pub(crate) panic_hook: OptionalCell<PanicHook>,
    /// The board (its drivers, chip, MPU and context switch).
    pub(crate) platform: OptionalCell<&'static dyn Platform>,
    /// Where apps live.
    pub(crate) regions: Cell<Option<AppRegions>>,
    /// System calls served since boot.
    pub(crate) syscall_total: Cell<u32>,
}

/// The console's fault request (`request_fault`), served by the kernel loop.
pub(crate) static FAULT_REQUEST: StaticCell<Option<usize>> = StaticCell::new(None);

impl Kernel {
    /// A kernel over the given process slots.
    pub const fn new(processes: &'static [Process]) -> Self {
        Kernel {
            processes,
            scheduler: Scheduler::new(),
            next_id: Cell::new(1),
            grants: Cell::new(0),
            panic_hook: OptionalCell::empty(),
            platform: OptionalCell::empty(),
            regions: Cell::new(None),
            syscall_total: Cell::new(0),
        }
    }

    /// Creates a grant of `T` (one per capsule that needs per-process state).
    pub fn create_grant<T: Default + 'static>(&'static self) -> Grant<T> {
        let n = self.grants.get();
        assert!(n < crate::process::MAX_GRANTS, "too many grants");
        self.grants.set(n + 1);
        Grant::new(self, n)
    }

    /// Grants created by the board.
    pub fn grant_count(&self) -> usize {
        self.grants.get()
    }

    /// Sets what the panic fault policy calls.
    pub fn set_panic_hook(&self, hook: PanicHook) {
        self.panic_hook.set(hook);
    }

    /// All process slots.
    pub fn processes(&self) -> &'static [Process] {
        self.processes
    }

    /// The process with this id, if it still exists.
    pub fn process(&self, pid: ProcessId) -> Option<&'static Process> {
        let p = self.processes.get(pid.index)?;
        match p.id() {
            Some(cur) if cur == pid => Some(p),
            _ => None,
        }
    }

    /// Total system calls served.
    pub fn syscall_total(&self) -> u32 {
        self.syscall_total.get()
    }

    pub(crate) fn fresh_id(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1).max(1));
        id
    }

    /// Restarts a process (console `start` on a faulted or terminated process).
    pub fn restart_process(&self, p: &Process) -> bool {
        p.add_restart();
        self.start_process(p)
    }

    /// Ends a process: it stays Terminated until started again.
    pub fn terminate_process(&self, p: &Process, code: Option<u32>) {
        p.set_completion_code(code);
        p.set_state(State::Terminated);
        let l = p.layout();
        // Dropping grants and queued upcalls frees nothing globally (they live in its RAM),
        // but keeps stale upcalls from firing on a restart.
        p.reset(p.id().map_or(0, |i| i.id), p.mpu_config(), l.initial_break);
        p.set_state(State::Terminated);
    }

    /// Asks the kernel to fault a process the next time it would run (console `fault`).
    pub fn request_fault(&self, index: usize) {
        FAULT_REQUEST.set(Some(index));
        // The loop acts on it at its next pass; until then no process is switched to (the
        // SysTick handler's switch does not look at the request: `deferred::wake_loop`).
        crate::deferred::wake_loop();
    }

    /// Schedules an upcall for a process (capsules call this). Returns false when the process
    /// is gone, has no such subscription, or its queue is full.
    pub fn schedule_upcall(
        &self,
        pid: ProcessId,
        driver: u32,
        subscribe: u32,
        args: [u32; 3],
    ) -> bool {
        let p = match self.process(pid) {
            Some(p) => p,
            None => return false,
        };
        if let State::YieldedFor {
            driver: d,
            subscribe: s,
        } = p.state()
        {
            if d == driver && s == subscribe {
                if let Some(pl) = self.platform.get() {
                    // Yield-wait-for returns the upcall's three values in r0-r2.
                    let acc = p.accessible();
                    if p.with_stored(|st| pl.boundary().set_syscall_return(st, acc, &args))
                        .is_ok()
                    {
                        self.trace(TraceEvent::UpcallDelivered, p, driver, subscribe);
                        p.set_state(State::Running);
                        return true;
                    }
                }
            }
        }
        match p.subscription(driver, subscribe) {
            Some(s) if s.function != 0 => {
                let queued = p.enqueue_upcall(Upcall {
                    driver,
                    subscribe,
                    args,
                });
                let event = if queued {
                    TraceEvent::UpcallQueued
                } else {
                    TraceEvent::UpcallDropped
                };
                self.trace(event, p, driver, subscribe);
                queued
            }
            _ => false,
        }
    }

    /// Tells a debugger that enabled the trace port about an upcall of `p` (the port's enable
    /// is checked first: a few cycles when nobody listens).
    #[inline]
    pub(crate) fn trace(&self, event: TraceEvent, p: &Process, driver: u32, subscribe: u32) {
        if let Some(pl) = self.platform.get() {
            if pl.tracing() {
                let slot = p.id().map_or(0xff, |i| i.index as u32);
                pl.trace([abi::trace::header(event, slot, subscribe), driver]);
            }
        }
    }

    /// Runs `f` on a read-only allowed buffer (empty slice when none is allowed).
    pub fn with_readonly<R>(
        &self,
        pid: ProcessId,
        driver: u32,
        number: u32,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, ErrorCode> {
        let p = self.process(pid).ok_or(ErrorCode::Invalid)?;
        let r = match p.allowed(driver, number, true) {
            // SAFETY: `allowed` re-validated that [ptr, ptr+len) lies inside this process's
            // flash or RAM below its break; the process is not running while the kernel runs,
            // so the memory does not change under this shared borrow.
            Some((ptr, len)) => f(unsafe { core::slice::from_raw_parts(ptr as *const u8, len) }),
            None => f(&[]),
        };
        Ok(r)
    }

    /// Runs `f` on a read-write allowed buffer (empty slice when none is allowed).
    pub fn with_readwrite<R>(
        &self,
        pid: ProcessId,
        driver: u32,
        number: u32,
        f: impl FnOnce(&mut [u8]) -> R,
    ) -> Result<R, ErrorCode> {
        let p = self.process(pid).ok_or(ErrorCode::Invalid)?;
        let r = match p.allowed(driver, number, false) {
            // SAFETY: `allowed` re-validated that [ptr, ptr+len) lies inside this process's RAM
            // below its break (never kernel or grant memory); the process is suspended while
            // the kernel runs and this is the only reference the kernel makes to it now.
            Some((ptr, len)) => f(unsafe { core::slice::from_raw_parts_mut(ptr as *mut u8, len) }),
            None => f(&mut []),
        };
        Ok(r)
    }

    pub(crate) fn warn(&self, p: &Process, args: core::fmt::Arguments) {
        if p.warn_allowed() {
            kprintln!("[kernel] process '{}': {}", p.name(), args);
        }
    }
}
