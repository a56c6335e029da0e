//! Scheduling: the kernel's loop, the round robin, running a process and its faults.
//!
//! `Kernel::run` never returns: it services the chip's pending interrupts (drivers call
//! capsules, capsules schedule upcalls), acts on a fault requested from the process console,
//! picks the next ready process round-robin (a yielded process with a queued upcall becomes
//! ready by running the upcall) and runs it for one timeslice or until it yields, exits or
//! faults; with nothing ready the chip sleeps. A fault is reported, then the process's fault
//! policy decides (panic, stop, restart, restart up to N times).

use crate::kernel::{FAULT_PREFIX, FAULT_REQUEST, TIMESLICE_US};
use crate::platform::{ContextSwitchReason, FaultInfo, Platform};
use crate::process::{FaultPolicy, Process, State, Upcall};
use crate::{kprintln, Kernel};
use abi::TraceEvent;
use core::cell::Cell;

/// The round-robin scheduler's state (the kernel's `scheduler` field; debuggers read it
/// through the debug anchor).
pub struct Scheduler {
    /// The slot the next round starts looking at.
    pub(crate) next: Cell<usize>,
    /// The slot of the process the kernel is running (between picking it and its timeslice
    /// ending), if any.
    pub(crate) current: Cell<Option<usize>>,
    /// How many slots the loader filled: the loader fills the first unused slot and none is
    /// ever emptied, so they are the table's first `used` slots.
    pub(crate) used: Cell<usize>,
}

impl Scheduler {
    /// The state at boot.
    pub const fn new() -> Self {
        Scheduler {
            next: Cell::new(0),
            current: Cell::new(None),
            used: Cell::new(0),
        }
    }

    /// The slot of the process being run, if one is.
    pub fn current(&self) -> Option<usize> {
        self.current.get()
    }
}

impl Default for Scheduler {
    fn default() -> Self {
        Self::new()
    }
}

impl Kernel {
    /// The scheduler loop. Never returns.
    pub fn run(&'static self) -> ! {
        let platform = match self.platform.get() {
            Some(p) => p,
            None => {
                kprintln!("[kernel] KERNEL PANIC: no platform: load_processes was never called");
                loop {
                    core::hint::spin_loop();
                }
            }
        };
        self.enable_fast_path();
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

    pub(crate) fn deliver_upcall(&self, platform: &dyn Platform, p: &Process, u: Upcall) -> bool {
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
        self.trace(TraceEvent::UpcallDelivered, p, u.driver, u.subscribe);
        p.set_state(State::Running);
        true
    }

    /// The slot the round robin looks at for `idx`: `idx`, or 0 past the used slots
    /// (`Scheduler::used`, a prefix of the table: wrapping by comparison, no division and no
    /// look at a slot's state).
    #[inline(always)]
    fn round_robin_slot(&self, idx: usize) -> usize {
        if idx >= self.scheduler.used.get() {
            0
        } else {
            idx
        }
    }

    fn pick_next(&self, platform: &dyn Platform) -> Option<&'static Process> {
        let n = self.processes.len();
        // Round robin from `next` (`round_robin_slot`).
        let mut idx = self.scheduler.next.get();
        for _ in 0..n {
            idx = self.round_robin_slot(idx);
            let p = &self.processes[idx];
            idx += 1;
            if self.ready(platform, p) {
                self.scheduler.next.set(if idx >= n { 0 } else { idx });
                return Some(p);
            }
        }
        None
    }

    /// Runs `p` until its timeslice ends, it stops being Running (yield-wait, exit, fault) or
    /// an interrupt is pending.
    ///
    /// The fast path: a system call that leaves `p` Running (yield-no-wait, memop, command,
    /// subscribe, allow) is answered and `p` resumed right here, without going back through
    /// the scheduler loop, for as long as its timeslice lasts and no interrupt waits: the
    /// checks below are a state load, the NVIC's pending words and the SysTick flag. The
    /// MPU is loaded once, and again only when the process's configuration changed
    /// (`Process::take_mpu_changed`), and the saved
    /// state is switched in place (`Process::with_stored`), not copied. While it runs, `p` is
    /// the process the SVC handler's fast path (`Kernel::fast_syscall`) answers for.
    // Not inlined into `run`: inlined, the compiler hoisted the addresses of two dozen fields
    // of the process and spilled them to the stack on every entry (50 cycles of a switch).
    #[inline(never)]
    fn run_process(&self, platform: &dyn Platform, p: &'static Process) {
        let mut p = p;
        let timer = platform.scheduler_timer();
        let chip = platform.chip();
        let mpu = platform.mpu();
        let boundary = platform.boundary();
        self.scheduler.current.set(p.id().map(|i| i.index));
        crate::dispatch::set_fast_path_process(Some(p));
        // The MPU for `p` once (the driver writes nothing when it already holds these
        // regions). From then on it stays right for the process the switch returns with:
        // this loop loads it for `p`, the SysTick handler's switch loads it for the process
        // it switches to (`mpu::load_switch`), and only a change of the process's own
        // configuration (a restart, brk/sbrk, both kernel-thread code: `take_mpu_changed`)
        // needs another load. No comparison of the configuration on every return.
        p.take_mpu_changed();
        mpu.configure(&p.mpu_config());
        timer.start(TIMESLICE_US);
        loop {
            if p.state() != State::Running || p.is_stopped() {
                break;
            }
            // The timeslice flag first: a word load, and at a timeslice's end the reason the
            // process came back.
            if timer.expired() {
                p.add_quantum();
                break;
            }
            if chip.has_pending_interrupts() {
                break;
            }
            if p.take_mpu_changed() {
                mpu.configure(&p.mpu_config());
            }
            let acc = p.accessible();
            // SAFETY: the MPU was just configured for `p`; the state is `p`'s own, saved by
            // `initialize_process` or its previous switch, and nothing else refers to it during
            // the switch (handlers never touch it; the kernel thread is inside the switch).
            let reason = unsafe { boundary.switch_to_process(p.stored_mut(), acc) };
            // The SysTick handler may have ended `p`'s timeslice and switched to the next
            // process itself (`Kernel::fast_switch`): the process that came back is the
            // published one.
            if let Some((_, now)) = crate::dispatch::fast_path() {
                p = now;
            }
            match reason {
                ContextSwitchReason::Syscall { class, args, ret } => {
                    self.handle_syscall(platform, p, class, args, ret)
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
        crate::dispatch::set_fast_path_process(None);
        self.scheduler.current.set(None);
    }

    /// The handler-mode context switch: at the end of the running process's timeslice
    /// (called by the architecture's SysTick handler, the kernel thread suspended in the
    /// switch to that process), switches to the process the kernel loop would run next, when
    /// the loop would do nothing else first, and returns `(from, to)`: the architecture then
    /// saves `from`'s registers and resumes `to`. `None` and the handler goes back to the
    /// kernel thread as before.
    ///
    /// The loop, at a timeslice's end, services the pending interrupts and deferred calls,
    /// acts on a console fault request, then picks round robin (a yielded process with a
    /// queued upcall becomes ready by running the upcall). So: no interrupt line pending (the
    /// architecture checks its interrupt controller before calling this), and the round
    /// robin from `scheduler.next` reaches a Running, not stopped process `to` other than
    /// `from` before any yielded process with an upcall queued (delivering one is left to the
    /// kernel thread). Then `accept(from, to)` (the architecture's check: `to`'s frame is
    /// sound) and, when it agreed, what the loop does between two timeslices: `from`'s
    /// quantum counted, `to` the scheduler's current process (the round robin's next slot the
    /// one after it) and the one the system-call fast path serves. Nothing changes when
    /// `accept` declines. No capsule or chip code runs.
    ///
    /// The chip's own deferred work, the kernel's deferred calls and a console fault request
    /// (`Chip::has_pending_interrupts` beyond the interrupt lines: a driver's completion
    /// consumed early, say; `request_fault` sets a deferred-call bit) are not asked here:
    /// only kernel-thread code sets them, and `run_process` checks `has_pending_interrupts`
    /// right before every switch to a process, so while a process runs (and in this handler,
    /// which only processes' traps reach) they are clear.
    ///
    /// Inlined into the architecture's handler (generic over `accept`): the pick and the
    /// commit are one pass with no call between them.
    #[inline(always)]
    pub fn fast_switch(
        accept: impl FnOnce(&'static Process, &'static Process) -> bool,
    ) -> Option<(&'static Process, &'static Process)> {
        let (k, from) = crate::dispatch::fast_path()?;
        // Deferred calls and fault requests: `run_process` found none pending right before it
        // switched to the process (`Chip::has_pending_interrupts`; `request_fault` wakes the
        // loop through the deferred calls) and only kernel-thread code makes one.
        // The used slots only (`round_robin_slot`): the same processes in the same order.
        let n = k.scheduler.used.get();
        // The same round robin as `pick_next`, the state looked at first (a Running process
        // is the common case: one load decides it).
        let mut idx = k.scheduler.next.get();
        for _ in 0..n {
            idx = k.round_robin_slot(idx);
            // SAFETY: the loop runs only when `used` (`n`) is not 0, `round_robin_slot` then
            // returns an index below it, and the loader sets `used` only to one of the
            // table's indices plus one: `idx` is in the table.
            let q = unsafe { k.processes.get_unchecked(idx) };
            idx += 1;
            match q.state() {
                State::Running if q.is_stopped() => {}
                State::Running if core::ptr::eq(q, from) => return None,
                State::Running => {
                    if !accept(from, q) {
                        return None;
                    }
                    from.add_quantum();
                    k.scheduler.next.set(if idx >= n { 0 } else { idx });
                    // `idx - 1` is `q`'s slot (the table's index is the slot index).
                    k.scheduler.current.set(Some(idx - 1));
                    crate::dispatch::set_fast_path_process(Some(q));
                    return Some((from, q));
                }
                State::Yielded if !q.is_stopped() && q.upcalls_pending() != 0 => return None,
                _ => {}
            }
        }
        None
    }

    #[cold]
    #[inline(never)]
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

    pub(crate) fn apply_fault_policy(&self, p: &Process, f: &FaultInfo) {
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
}
