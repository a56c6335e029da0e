//! The kernel proper: process loading, the round-robin scheduler and system-call dispatch.
//!
//! `Kernel::load_processes` walks the TBFs in the apps flash region and installs each valid
//! app; `Kernel::run` then loops forever: service interrupts (drivers call capsules, capsules
//! schedule upcalls), pick the next ready process round-robin, run it for one timeslice or
//! until it yields, and handle its system calls and faults. Faults and bad arguments affect
//! only the guilty process; nothing a process does makes the kernel panic.

use crate::grant::Grant;
use crate::platform::{ContextSwitchReason, FaultInfo, Platform};
use crate::process::{
    AllowEntry, FaultPolicy, Layout, Process, ProcessId, State, Subscription, Upcall,
};
use crate::syscall::{AllowKind, DecodeError, Syscall, SyscallReturn, YieldKind};
use crate::tbf::{self, TbfError};
use crate::{kprintln, ErrorCode};
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
pub const ABI_VERSION: (u16, u16) = (2, 2);

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

/// The kernel state.
pub struct Kernel {
    processes: &'static [Process],
    next: Cell<usize>,
    next_id: Cell<u32>,
    grants: Cell<usize>,
    panic_hook: OptionalCell<PanicHook>,
    platform: OptionalCell<&'static dyn Platform>,
    regions: Cell<Option<AppRegions>>,
    syscall_total: Cell<u32>,
}

static FAULT_REQUEST: StaticCell<Option<usize>> = StaticCell::new(None);

impl Kernel {
    /// A kernel over the given process slots.
    pub const fn new(processes: &'static [Process]) -> Self {
        Kernel {
            processes,
            next: Cell::new(0),
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

    fn fresh_id(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1).max(1));
        id
    }

    /// Discovers and installs the apps; prints one line per app. Returns the number loaded.
    pub fn load_processes(
        &self,
        platform: &'static dyn Platform,
        regions: AppRegions,
        policy: FaultPolicy,
    ) -> usize {
        self.platform.set(platform);
        self.regions.set(Some(regions));
        let mut offset = 0usize;
        let mut loaded = 0usize;
        let ram_end_region = regions.ram_start + regions.ram_size;
        let mut next_free_ram = regions.ram_start;
        while offset < regions.flash.len() {
            let addr = regions.flash_base + offset;
            let rest = &regions.flash[offset..];
            let h = match tbf::parse(rest) {
                Ok(h) => h,
                Err(TbfError::End) => break,
                Err(e) => match e.skip(tbf::claimed_total_size(rest)) {
                    // As Tock's loader does: an unusable app is passed over, the walk goes on.
                    Some(skip) => {
                        kprintln!(
                            "[kernel] apps: unusable TBF at {:#010x}: {}; skipped",
                            addr,
                            e
                        );
                        offset += skip as usize;
                        continue;
                    }
                    None => {
                        kprintln!("[kernel] apps: invalid TBF header at {:#010x}: {}; app discovery stops here", addr, e);
                        break;
                    }
                },
            };
            let total = h.total_size as usize;
            offset += total;
            let name = h.package_name.unwrap_or("(unnamed)");
            if h.is_padding() {
                continue;
            }
            if !h.enabled() {
                kprintln!(
                    "[kernel] app '{}' at {:#010x} is disabled; not loaded",
                    name,
                    addr
                );
                continue;
            }
            if let Some((major, minor)) = h.kernel_version {
                if major != ABI_VERSION.0 || minor > ABI_VERSION.1 {
                    kprintln!(
                        "[kernel] app '{}' needs kernel ^{}.{} but this kernel speaks {}.{}; not loaded",
                        name,
                        major,
                        minor,
                        ABI_VERSION.0,
                        ABI_VERSION.1
                    );
                    continue;
                }
            }
            let binary = addr + h.binary_offset() as usize;
            if let Some(f) = h.fixed_flash {
                if f as usize != binary {
                    kprintln!(
                        "[kernel] app '{}' was linked for flash {:#010x} but its binary is at {:#010x}; not loaded",
                        name,
                        f,
                        binary
                    );
                    continue;
                }
            }
            let entry = h.entry_offset().unwrap_or(0) as usize;
            if entry < h.binary_offset() as usize || entry >= h.binary_end() as usize {
                kprintln!(
                    "[kernel] app '{}': entry point {:#010x} lies outside its binary {:#010x}-{:#010x}; not loaded",
                    name,
                    addr + entry,
                    binary,
                    addr + h.binary_end() as usize
                );
                continue;
            }
            let slot = match self
                .processes
                .iter()
                .position(|p| p.state() == State::Unused)
            {
                Some(s) => s,
                None => {
                    kprintln!(
                        "[kernel] app '{}': no free process slot (max {}); not loaded",
                        name,
                        self.processes.len()
                    );
                    continue;
                }
            };
            let min_ram = ((h.minimum_ram_size as usize + 7) & !7).max(INITIAL_APP_BREAK);
            let ram_start = match h.fixed_ram {
                Some(r) => r as usize,
                None => (next_free_ram + 0xfff) & !0xfff,
            };
            let want = min_ram + GRANT_RESERVE;
            let ram_end = ram_start.saturating_add(want);
            if ram_start < regions.ram_start || ram_end > ram_end_region {
                let left = ram_end_region.saturating_sub(ram_start.max(regions.ram_start));
                kprintln!(
                    "[kernel] app '{}' asks for {} bytes of RAM at {:#010x} but only {} bytes are left in app RAM {:#010x}-{:#010x}; not loaded",
                    name,
                    want,
                    ram_start,
                    left,
                    regions.ram_start,
                    ram_end_region
                );
                continue;
            }
            if let Some(other) = self.processes.iter().find(|p| {
                p.state() != State::Unused && {
                    let l = p.layout();
                    ram_start < l.ram_end && l.ram_start < ram_end
                }
            }) {
                let l = other.layout();
                kprintln!(
                    "[kernel] app '{}' RAM {:#010x}-{:#010x} overlaps app '{}' ({:#010x}-{:#010x}); not loaded",
                    name,
                    ram_start,
                    ram_end,
                    other.name(),
                    l.ram_start,
                    l.ram_end
                );
                continue;
            }
            let layout = Layout {
                flash_start: addr,
                flash_end: addr + total,
                header_size: h.header_size as usize,
                protected_size: h.protected_trailer_size as usize,
                entry: (addr + entry) | 1,
                ram_start,
                ram_end,
                initial_break: ram_start + INITIAL_APP_BREAK,
                short_id: h.short_id,
            };
            if let Err(e) = platform.mpu().compute(
                (addr, total),
                ram_start,
                layout.initial_break,
                ram_end - GRANT_RESERVE / 2,
            ) {
                let crate::platform::MpuError::CannotCover { start, end, limit } = e;
                kprintln!(
                    "[kernel] app '{}': the MPU cannot protect RAM {:#010x}-{:#010x} below {:#010x} (align the RAM start to 256 bytes); not loaded",
                    name,
                    start,
                    end,
                    limit
                );
                continue;
            }
            let p = &self.processes[slot];
            p.install(slot, name, layout, policy, 0);
            if self.start_process(p) {
                kprintln!(
                    "[kernel] loaded process '{}' (pid {}): flash {:#010x}-{:#010x}, RAM {:#010x}-{:#010x}",
                    name,
                    slot,
                    addr,
                    addr + total,
                    ram_start,
                    ram_end
                );
                loaded += 1;
            }
            next_free_ram = ram_end;
        }
        kprintln!("[kernel] {} process(es) loaded", loaded);
        loaded
    }

    /// (Re)initialises a process to run from its entry point. False if that failed (the
    /// process is left Faulted with a message).
    fn start_process(&self, p: &Process) -> bool {
        let platform = match self.platform.get() {
            Some(pl) => pl,
            None => return false,
        };
        let l = p.layout();
        let id = self.fresh_id();
        let (mpu, brk) = match platform.mpu().compute(
            (l.flash_start, l.flash_end - l.flash_start),
            l.ram_start,
            l.initial_break,
            l.ram_end - GRANT_RESERVE / 2,
        ) {
            Ok(r) => r,
            Err(_) => {
                kprintln!(
                    "[kernel] process '{}': cannot configure the MPU; left Faulted",
                    p.name()
                );
                p.set_state(State::Faulted);
                return false;
            }
        };
        p.reset(id, mpu, brk);
        let mut stored = crate::platform::StoredState {
            regs: [0; 8],
            sp: 0,
            pc: l.entry,
        };
        let args = [
            (l.flash_start + l.header_size + l.protected_size) as u32,
            l.ram_start as u32,
            (l.ram_end - l.ram_start) as u32,
            brk as u32,
        ];
        if platform
            .boundary()
            .initialize_process(&mut stored, p.accessible(), brk & !7, l.entry, args)
            .is_err()
        {
            kprintln!(
                "[kernel] process '{}': no room for its initial stack frame; left Faulted",
                p.name()
            );
            p.set_state(State::Faulted);
            return false;
        }
        p.stored.set(stored);
        p.set_state(State::Running);
        true
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
                    if pl
                        .boundary()
                        .set_syscall_return(&p.stored.get(), p.accessible(), &args)
                        .is_ok()
                    {
                        p.set_state(State::Running);
                        return true;
                    }
                }
            }
        }
        match p.subscription(driver, subscribe) {
            Some(s) if s.function != 0 => p.enqueue_upcall(Upcall {
                driver,
                subscribe,
                args,
            }),
            _ => false,
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

    fn warn(&self, p: &Process, args: core::fmt::Arguments) {
        if p.warn_allowed() {
            kprintln!("[kernel] process '{}': {}", p.name(), args);
        }
    }

    /// The scheduler loop. Never returns.
    pub fn run(&self) -> ! {
        let platform = match self.platform.get() {
            Some(p) => p,
            None => {
                kprintln!("[kernel] KERNEL PANIC: no platform: load_processes was never called");
                loop {
                    core::hint::spin_loop();
                }
            }
        };
        loop {
            platform.chip().service_pending_interrupts();
            if let Some(idx) = FAULT_REQUEST.get() {
                FAULT_REQUEST.set(None);
                if let Some(p) = self.processes.get(idx) {
                    if p.id().is_some() {
                        let info = FaultInfo {
                            exception: 0,
                            ..FaultInfo::default()
                        };
                        kprintln!(
                            "{} '{}' (pid {}) faulted on request from the process console",
                            FAULT_PREFIX,
                            p.name(),
                            idx
                        );
                        self.apply_fault_policy(p, &info);
                    }
                }
            }
            match self.pick_next(platform) {
                Some(p) => self.run_process(platform, p),
                None => platform.chip().sleep(),
            }
        }
    }

    fn ready(&self, platform: &dyn Platform, p: &Process) -> bool {
        if p.is_stopped() {
            return false;
        }
        match p.state() {
            State::Running => true,
            State::Yielded => {
                if let Some(u) = p.dequeue_upcall(None) {
                    self.deliver_upcall(platform, p, u)
                } else {
                    false
                }
            }
            _ => false,
        }
    }

    fn deliver_upcall(&self, platform: &dyn Platform, p: &Process, u: Upcall) -> bool {
        let sub = match p.subscription(u.driver, u.subscribe) {
            Some(s) if s.function != 0 => s,
            _ => return false,
        };
        if !p.valid_function(sub.function) {
            kprintln!(
                "{} '{}' (pid {}): upcall to bad address {:#010x} (outside its flash) for driver {:#x} subscription {}",
                FAULT_PREFIX,
                p.name(),
                p.id().map_or(0, |i| i.index),
                sub.function,
                u.driver,
                u.subscribe
            );
            self.apply_fault_policy(p, &FaultInfo::default());
            return false;
        }
        let mut st = p.stored.get();
        let args = [u.args[0], u.args[1], u.args[2], sub.appdata as u32];
        if platform
            .boundary()
            .set_upcall(&mut st, p.accessible(), sub.function, args)
            .is_err()
        {
            kprintln!(
                "{} '{}': its stack pointer {:#010x} is outside its memory; cannot run an upcall",
                FAULT_PREFIX,
                p.name(),
                st.sp
            );
            self.apply_fault_policy(p, &FaultInfo::default());
            return false;
        }
        p.stored.set(st);
        p.set_state(State::Running);
        true
    }

    fn pick_next(&self, platform: &dyn Platform) -> Option<&'static Process> {
        let n = self.processes.len();
        for i in 0..n {
            let idx = (self.next.get() + i) % n;
            let p = &self.processes[idx];
            if self.ready(platform, p) {
                self.next.set((idx + 1) % n);
                return Some(p);
            }
        }
        None
    }

    fn run_process(&self, platform: &dyn Platform, p: &'static Process) {
        let timer = platform.scheduler_timer();
        timer.start(TIMESLICE_US);
        loop {
            if p.state() != State::Running || p.is_stopped() {
                break;
            }
            if platform.chip().has_pending_interrupts() {
                break;
            }
            if timer.expired() {
                p.add_quantum();
                break;
            }
            platform.mpu().configure(&p.mpu_config());
            let mut st = p.stored.get();
            // SAFETY: the MPU was just configured for `p`, and `st` is `p`'s saved state from
            // `initialize_process` or its previous switch.
            let reason = unsafe {
                platform
                    .boundary()
                    .switch_to_process(&mut st, p.accessible())
            };
            p.stored.set(st);
            match reason {
                ContextSwitchReason::Syscall { class, args } => {
                    self.handle_syscall(platform, p, class, args)
                }
                ContextSwitchReason::Fault(info) => {
                    self.report_fault(p, &info);
                    self.apply_fault_policy(p, &info);
                    break;
                }
                ContextSwitchReason::Interrupted => {}
            }
        }
        timer.stop();
    }

    fn report_fault(&self, p: &Process, f: &FaultInfo) {
        let (kind, addr, detail) = crate::fault::describe(f);
        let pid = p.id().map_or(0, |i| i.index);
        match addr {
            Some(a) => kprintln!(
                "{} '{}' (pid {}): {} at address {:#010x}",
                FAULT_PREFIX,
                p.name(),
                pid,
                kind,
                a
            ),
            None => kprintln!("{} '{}' (pid {}): {}", FAULT_PREFIX, p.name(), pid, kind),
        }
        kprintln!(
            "[kernel]   reason: {}; pc {:#010x} sp {:#010x}; CFSR {:#010x} HFSR {:#010x} MMFAR {:#010x} BFAR {:#010x}",
            detail,
            f.pc,
            f.sp,
            f.cfsr,
            f.hfsr,
            f.mmfar,
            f.bfar
        );
        let l = p.layout();
        if let Some(a) = addr {
            let a = a as usize;
            if a < l.ram_start && a + 4096 >= l.ram_start {
                kprintln!("[kernel]   hint: {:#010x} is just below the process's RAM start: a stack overflow", a);
            } else if a >= p.app_break() && a < l.ram_end {
                kprintln!("[kernel]   hint: {:#010x} is above the app break, in the process's grant (kernel) memory", a);
            }
        }
        kprintln!(
            "[kernel]   memory: flash {:#010x}-{:#010x}, RAM {:#010x}-{:#010x} (app break {:#010x}, grants from {:#010x})",
            l.flash_start,
            l.flash_end,
            l.ram_start,
            l.ram_end,
            p.app_break(),
            p.kernel_break()
        );
        // Tock's block for the same registers, for readers and tools used to Tock's dumps.
        crate::process_printer::print_fault_status(f);
    }

    fn apply_fault_policy(&self, p: &Process, f: &FaultInfo) {
        p.set_last_fault(*f);
        match p.policy() {
            FaultPolicy::Panic => match self.panic_hook.get() {
                Some(h) => h(p, f),
                None => {
                    p.set_state(State::Faulted);
                }
            },
            FaultPolicy::Stop => {
                p.set_state(State::Faulted);
                kprintln!(
                    "[kernel] process '{}' stopped (fault policy: stop)",
                    p.name()
                );
            }
            FaultPolicy::Restart => {
                if self.restart_process(p) {
                    kprintln!(
                        "[kernel] process '{}' restarted (restart {})",
                        p.name(),
                        p.restarts()
                    );
                }
            }
            FaultPolicy::RestartUpTo(n) => {
                if p.restarts() < n {
                    if self.restart_process(p) {
                        kprintln!(
                            "[kernel] process '{}' restarted (restart {} of {})",
                            p.name(),
                            p.restarts(),
                            n
                        );
                    }
                } else {
                    p.set_state(State::Faulted);
                    kprintln!("[kernel] process '{}' stopped after {} restarts (fault policy: restart up to {})", p.name(), n, n);
                }
            }
        }
    }

    fn ret(&self, platform: &dyn Platform, p: &Process, r: SyscallReturn) {
        let (regs, used) = r.written();
        if platform
            .boundary()
            .set_syscall_return(&p.stored.get(), p.accessible(), &regs[..used])
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

    fn handle_syscall(
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
                    if platform
                        .boundary()
                        .set_syscall_return(&p.stored.get(), p.accessible(), &u.args)
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
        match op {
            0 | 1 => {
                let old = p.app_break();
                let new = if op == 0 {
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
                        if op == 0 {
                            SyscallReturn::Success
                        } else {
                            SyscallReturn::SuccessU32(old as u32)
                        }
                    }
                    Err(_) => SyscallReturn::Failure(ErrorCode::NoMem),
                }
            }
            2 => SyscallReturn::SuccessU32(l.ram_start as u32),
            3 => SyscallReturn::SuccessU32(l.ram_end as u32),
            4 => SyscallReturn::SuccessU32(l.flash_start as u32),
            5 => SyscallReturn::SuccessU32(l.flash_end as u32),
            6 => SyscallReturn::SuccessU32(p.kernel_break() as u32),
            7 => SyscallReturn::SuccessU32(0),
            8 | 9 => SyscallReturn::Failure(ErrorCode::Invalid),
            10 | 11 => SyscallReturn::Success,
            _ => SyscallReturn::Failure(ErrorCode::NoSupport),
        }
    }
}
