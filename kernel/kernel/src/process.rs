//! Processes: state, memory layout, subscriptions, allows, the upcall queue and grants.
//!
//! A process owns a block of RAM `[ram_start, ram_end)`. Its own data grows up from
//! `ram_start` to the app break; the kernel's per-process grant memory grows down from
//! `ram_end` to the kernel break. The MPU exposes only `[ram_start, app break)` and the app's
//! flash to the process. Everything here is `Cell`-based because the kernel shares processes
//! by `&'static` reference.

use crate::platform::{FaultInfo, MpuConfig, StoredState};
use core::cell::Cell;

/// Subscriptions a process may hold at once.
pub const MAX_SUBSCRIPTIONS: usize = 16;
/// Allowed buffers a process may hold at once.
pub const MAX_ALLOWS: usize = 16;
/// Queued upcalls per process.
pub const MAX_UPCALLS: usize = 10;
/// Grants a board may create.
pub const MAX_GRANTS: usize = 8;

/// Identifies one incarnation of a process: a restart gets a new id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessId {
    /// Slot in the process table.
    pub index: usize,
    /// Unique per incarnation.
    pub id: u32,
}

/// Scheduling state (TRD's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Slot unused.
    Unused,
    /// Ready to run.
    Running,
    /// Waiting for any upcall.
    Yielded,
    /// Waiting for the upcall of one subscription.
    YieldedFor { driver: u32, subscribe: u32 },
    /// Faulted and left stopped by its policy.
    Faulted,
    /// Exited (or terminated from the console).
    Terminated,
}

impl State {
    /// The name `list` shows.
    pub fn name(self) -> &'static str {
        match self {
            State::Unused => "Unused",
            State::Running => "Running",
            State::Yielded => "Yielded",
            State::YieldedFor { .. } => "YieldedFor",
            State::Faulted => "Faulted",
            State::Terminated => "Terminated",
        }
    }
}

/// What happens when a process faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultPolicy {
    /// The whole system halts with a report (for debugging).
    Panic,
    /// The process stays Faulted.
    Stop,
    /// The process restarts every time.
    Restart,
    /// The process restarts until it has restarted this many times, then stays Faulted.
    RestartUpTo(u32),
}

/// A subscription (upcall function and its appdata) of one driver slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// Driver number.
    pub driver: u32,
    /// Subscribe number.
    pub subscribe: u32,
    /// Function pointer (0 = null upcall).
    pub function: usize,
    /// Passed back in r3.
    pub appdata: usize,
}

/// An allowed buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllowEntry {
    /// Driver number.
    pub driver: u32,
    /// Allow number.
    pub number: u32,
    /// Read-only (class 4) rather than read-write (3 and 7).
    pub readonly: bool,
    /// Address.
    pub ptr: usize,
    /// Length in bytes.
    pub len: usize,
}

/// A scheduled upcall waiting for the process to yield.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Upcall {
    /// Driver number.
    pub driver: u32,
    /// Subscribe number.
    pub subscribe: u32,
    /// r0-r2.
    pub args: [u32; 3],
}

/// The memory a loaded process may use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Start of the TBF (header) in flash.
    pub flash_start: usize,
    /// End of the TBF in flash.
    pub flash_end: usize,
    /// Bytes of TBF header.
    pub header_size: usize,
    /// Protected trailer after the header.
    pub protected_size: usize,
    /// Entry point (absolute, Thumb bit set).
    pub entry: usize,
    /// RAM block.
    pub ram_start: usize,
    /// End of the RAM block.
    pub ram_end: usize,
    /// App break at start.
    pub initial_break: usize,
    /// The TBF's ShortId TLV (None: Tock's `ShortId::LocallyUnique`, shown as `Unique`).
    pub short_id: Option<u32>,
}

const NO_SUB: Cell<Option<Subscription>> = Cell::new(None);
const NO_ALLOW: Cell<Option<AllowEntry>> = Cell::new(None);
const NO_UPCALL: Cell<Option<Upcall>> = Cell::new(None);
const NO_GRANT: Cell<usize> = Cell::new(0);

/// One process slot.
pub struct Process {
    name: Cell<&'static str>,
    slot_index: Cell<usize>,
    state: Cell<State>,
    stopped: Cell<bool>,
    policy: Cell<FaultPolicy>,
    restarts: Cell<u32>,
    id: Cell<u32>,
    layout: Cell<Layout>,
    app_break: Cell<usize>,
    kernel_break: Cell<usize>,
    /// Saved registers and stack pointer.
    pub stored: Cell<StoredState>,
    mpu: Cell<MpuConfig>,
    /// Set whenever `mpu` changes (a restart, brk/sbrk): the kernel loop then loads the MPU
    /// again before the process next runs (`Kernel::run_process`; `take_mpu_changed`).
    mpu_changed: Cell<bool>,
    syscalls: Cell<u32>,
    quanta: Cell<u32>,
    last_syscall: Cell<Option<(u8, [u32; 4])>>,
    completion: Cell<Option<u32>>,
    last_fault: Cell<Option<FaultInfo>>,
    warnings: Cell<u32>,
    subscriptions: [Cell<Option<Subscription>>; MAX_SUBSCRIPTIONS],
    allows: [Cell<Option<AllowEntry>>; MAX_ALLOWS],
    upcalls: [Cell<Option<Upcall>>; MAX_UPCALLS],
    upcall_head: Cell<usize>,
    upcall_len: Cell<usize>,
    upcalls_dropped: Cell<u32>,
    grants: [Cell<usize>; MAX_GRANTS],
    grants_entered: Cell<u32>,
}

impl Process {
    /// An unused slot.
    pub const fn new() -> Self {
        Process {
            name: Cell::new(""),
            slot_index: Cell::new(0),
            state: Cell::new(State::Unused),
            stopped: Cell::new(false),
            policy: Cell::new(FaultPolicy::Stop),
            restarts: Cell::new(0),
            id: Cell::new(0),
            layout: Cell::new(Layout {
                flash_start: 0,
                flash_end: 0,
                header_size: 0,
                protected_size: 0,
                entry: 0,
                ram_start: 0,
                ram_end: 0,
                initial_break: 0,
                short_id: None,
            }),
            app_break: Cell::new(0),
            kernel_break: Cell::new(0),
            stored: Cell::new(StoredState {
                regs: [0; 8],
                sp: 0,
                pc: 0,
            }),
            mpu: Cell::new(MpuConfig {
                regions: [(0, 0); 2],
            }),
            mpu_changed: Cell::new(false),
            syscalls: Cell::new(0),
            quanta: Cell::new(0),
            last_syscall: Cell::new(None),
            completion: Cell::new(None),
            last_fault: Cell::new(None),
            warnings: Cell::new(0),
            subscriptions: [NO_SUB; MAX_SUBSCRIPTIONS],
            allows: [NO_ALLOW; MAX_ALLOWS],
            upcalls: [NO_UPCALL; MAX_UPCALLS],
            upcall_head: Cell::new(0),
            upcall_len: Cell::new(0),
            upcalls_dropped: Cell::new(0),
            grants: [NO_GRANT; MAX_GRANTS],
            grants_entered: Cell::new(0),
        }
    }

    /// The id of the current incarnation, if the slot holds a process.
    pub fn id(&self) -> Option<ProcessId> {
        if self.state.get() == State::Unused {
            None
        } else {
            Some(ProcessId {
                index: self.slot_index.get(),
                id: self.id.get(),
            })
        }
    }

    /// Package name.
    pub fn name(&self) -> &'static str {
        self.name.get()
    }
    /// Scheduling state.
    pub fn state(&self) -> State {
        self.state.get()
    }
    /// Sets the scheduling state.
    pub fn set_state(&self, s: State) {
        self.state.set(s)
    }
    /// True when stopped from the console.
    pub fn is_stopped(&self) -> bool {
        self.stopped.get()
    }
    /// Stops or resumes scheduling.
    pub fn set_stopped(&self, s: bool) {
        self.stopped.set(s)
    }
    /// The name `list` shows for the state.
    pub fn state_name(&self) -> &'static str {
        if self.stopped.get() {
            "Stopped"
        } else {
            self.state.get().name()
        }
    }
    /// Fault policy.
    pub fn policy(&self) -> FaultPolicy {
        self.policy.get()
    }
    /// Restarts so far.
    pub fn restarts(&self) -> u32 {
        self.restarts.get()
    }
    /// Memory layout.
    pub fn layout(&self) -> Layout {
        self.layout.get()
    }
    /// The TBF's ShortId, if it carries one.
    pub fn short_id(&self) -> Option<u32> {
        self.layout.get().short_id
    }
    /// Current app break.
    pub fn app_break(&self) -> usize {
        self.app_break.get()
    }
    /// Current kernel break (bottom of grant memory).
    pub fn kernel_break(&self) -> usize {
        self.kernel_break.get()
    }
    /// Memory the process may touch.
    pub fn accessible(&self) -> (usize, usize) {
        (self.layout.get().ram_start, self.app_break.get())
    }
    /// Runs `f` on the saved state in place. The state is ten words: the system-call path
    /// borrows it rather than copying it out of its `Cell` and back (two calls of `memcpy`,
    /// a fifth of a null system call's cycles before).
    pub(crate) fn with_stored<R>(&self, f: impl FnOnce(&mut StoredState) -> R) -> R {
        // SAFETY: the saved state is touched only by the kernel thread (exception handlers
        // never read it), one core runs it, and the callers' closures (writing a return value
        // or an upcall frame) never reach this process's `stored` again, so this is the only
        // reference to it while `f` runs.
        f(unsafe { self.stored_mut() })
    }
    /// The saved state, borrowed in place (the context switch: no closure frame on the
    /// stack a debugger unwinds through while the process runs).
    ///
    /// # Safety
    /// No other reference to this process's saved state may exist while the result lives.
    // A `&mut` from `&self` is what an `unsafe fn` with this contract is for (as
    // `UnsafeCell::get` is); the callers' `SAFETY:` comments carry the proof.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn stored_mut(&self) -> &mut StoredState {
        // SAFETY: the caller guarantees this is the only reference; the pointer comes from
        // the `Cell`, valid and aligned for as long as `self`.
        unsafe { &mut *self.stored.as_ptr() }
    }
    /// MPU registers for this process.
    pub fn mpu_config(&self) -> MpuConfig {
        self.mpu.get()
    }
    /// True (once) when the MPU configuration changed since the last call: a restart or a
    /// brk/sbrk since the kernel loop last loaded it.
    #[inline(always)]
    pub fn take_mpu_changed(&self) -> bool {
        if self.mpu_changed.get() {
            self.mpu_changed.set(false);
            true
        } else {
            false
        }
    }
    /// System calls made.
    pub fn syscall_count(&self) -> u32 {
        self.syscalls.get()
    }
    /// Timeslices used up.
    pub fn quanta(&self) -> u32 {
        self.quanta.get()
    }
    /// Counts a used-up timeslice.
    pub fn add_quantum(&self) {
        self.quanta.set(self.quanta.get().wrapping_add(1))
    }
    /// The last system call.
    pub fn last_syscall(&self) -> Option<(u8, [u32; 4])> {
        self.last_syscall.get()
    }
    /// Records a system call.
    #[inline]
    pub fn note_syscall(&self, class: u8, args: &[u32; 4]) {
        self.syscalls.set(self.syscalls.get().wrapping_add(1));
        // Written in place, word by word from the caller's registers: `Cell::set` (or
        // assigning the whole `Option`) moves this 20-byte value through two `memcpy` calls,
        // a tenth of a null system call. Debuggers read the field by its type
        // (`Option<(u8, [u32; 4])>`), which stays.
        // SAFETY: a `Cell` never lends a reference to its contents, and the kernel runs on one
        // core with this process's cells touched only by the kernel thread (or by the SVC
        // handler's fast path while the kernel thread is suspended in the switch to this
        // process), so this is the only reference to the value while it lives.
        let last = unsafe { &mut *self.last_syscall.as_ptr() };
        match last {
            Some((c, a)) => {
                *c = class;
                a[0] = args[0];
                a[1] = args[1];
                a[2] = args[2];
                a[3] = args[3];
            }
            None => *last = Some((class, *args)),
        }
    }
    /// Exit code, once exited.
    pub fn completion_code(&self) -> Option<u32> {
        self.completion.get()
    }
    /// Records the exit code.
    pub fn set_completion_code(&self, c: Option<u32>) {
        self.completion.set(c)
    }
    /// Last fault.
    pub fn last_fault(&self) -> Option<FaultInfo> {
        self.last_fault.get()
    }
    /// Records a fault.
    pub fn set_last_fault(&self, f: FaultInfo) {
        self.last_fault.set(Some(f))
    }
    /// Counts a warning; true while the process still gets them printed.
    pub fn warn_allowed(&self) -> bool {
        let w = self.warnings.get();
        self.warnings.set(w.saturating_add(1));
        w < crate::kernel::MAX_WARNINGS_PER_PROCESS
    }
    /// Grants allocated / grants existing.
    pub fn grants_used(&self) -> usize {
        self.grants.iter().filter(|g| g.get() != 0).count()
    }
    /// Upcalls dropped because the queue was full.
    pub fn upcalls_dropped(&self) -> u32 {
        self.upcalls_dropped.get()
    }
    /// Queued upcalls.
    pub fn upcalls_pending(&self) -> usize {
        self.upcall_len.get()
    }

    /// Fills an unused slot with a newly loaded process (not yet initialised to run).
    pub fn install(
        &self,
        index: usize,
        name: &'static str,
        layout: Layout,
        policy: FaultPolicy,
        id: u32,
    ) {
        self.slot_index.set(index);
        self.name.set(name);
        self.layout.set(layout);
        self.policy.set(policy);
        self.restarts.set(0);
        self.id.set(id);
        self.state.set(State::Terminated);
    }

    /// Clears all per-incarnation state and sets the memory breaks for a fresh start.
    pub fn reset(&self, id: u32, mpu: MpuConfig, app_break: usize) {
        let l = self.layout.get();
        self.id.set(id);
        self.stopped.set(false);
        self.app_break.set(app_break);
        self.kernel_break.set(l.ram_end);
        self.mpu.set(mpu);
        self.mpu_changed.set(true);
        self.completion.set(None);
        self.last_syscall.set(None);
        for s in self.subscriptions.iter() {
            s.set(None);
        }
        for a in self.allows.iter() {
            a.set(None);
        }
        for u in self.upcalls.iter() {
            u.set(None);
        }
        self.upcall_head.set(0);
        self.upcall_len.set(0);
        for g in self.grants.iter() {
            g.set(0);
        }
        self.grants_entered.set(0);
    }

    /// Counts a restart.
    pub fn add_restart(&self) {
        self.restarts.set(self.restarts.get().saturating_add(1))
    }

    /// Sets a new app break and its MPU config (caller has validated both).
    pub fn set_app_break(&self, brk: usize, mpu: MpuConfig) {
        self.app_break.set(brk);
        self.mpu.set(mpu);
        self.mpu_changed.set(true);
    }

    /// True when `[ptr, ptr+len)` lies wholly inside the process's RAM below its break, or
    /// (when `readonly`) inside its own flash.
    pub fn in_process_memory(&self, ptr: usize, len: usize, readonly: bool) -> bool {
        let end = match ptr.checked_add(len) {
            Some(e) => e,
            None => return false,
        };
        let l = self.layout.get();
        let in_ram = ptr >= l.ram_start && end <= self.app_break.get();
        let in_flash = readonly && ptr >= l.flash_start && end <= l.flash_end;
        in_ram || in_flash
    }

    /// True when `f` is a plausible upcall entry: inside the app's flash, Thumb bit set.
    pub fn valid_function(&self, f: usize) -> bool {
        let l = self.layout.get();
        f & 1 == 1 && f > l.flash_start && f < l.flash_end
    }

    /// Replaces the subscription of `(driver, subscribe)`; returns the previous one's
    /// (function, appdata) or `None` when the table is full.
    pub fn subscribe(&self, sub: Subscription) -> Option<(usize, usize)> {
        let mut free = None;
        for slot in self.subscriptions.iter() {
            match slot.get() {
                Some(s) if s.driver == sub.driver && s.subscribe == sub.subscribe => {
                    slot.set(if sub.function == 0 && sub.appdata == 0 {
                        None
                    } else {
                        Some(sub)
                    });
                    self.drop_upcalls(sub.driver, sub.subscribe);
                    return Some((s.function, s.appdata));
                }
                None if free.is_none() => free = Some(slot),
                _ => {}
            }
        }
        self.drop_upcalls(sub.driver, sub.subscribe);
        if sub.function == 0 {
            return Some((0, 0));
        }
        free.map(|slot| {
            slot.set(Some(sub));
            (0, 0)
        })
    }

    /// The subscription of a slot.
    pub fn subscription(&self, driver: u32, subscribe: u32) -> Option<Subscription> {
        self.subscriptions
            .iter()
            .filter_map(|s| s.get())
            .find(|s| s.driver == driver && s.subscribe == subscribe)
    }

    /// Replaces an allow; returns the previous (ptr, len) or `None` when the table is full.
    pub fn allow(&self, entry: AllowEntry) -> Option<(usize, usize)> {
        let mut free = None;
        for slot in self.allows.iter() {
            match slot.get() {
                Some(a)
                    if a.driver == entry.driver
                        && a.number == entry.number
                        && a.readonly == entry.readonly =>
                {
                    slot.set(if entry.len == 0 && entry.ptr == 0 {
                        None
                    } else {
                        Some(entry)
                    });
                    return Some((a.ptr, a.len));
                }
                None if free.is_none() => free = Some(slot),
                _ => {}
            }
        }
        if entry.len == 0 && entry.ptr == 0 {
            return Some((0, 0));
        }
        free.map(|slot| {
            slot.set(Some(entry));
            (0, 0)
        })
    }

    /// The allowed buffer of a slot, if it is still wholly inside process memory.
    pub fn allowed(&self, driver: u32, number: u32, readonly: bool) -> Option<(usize, usize)> {
        self.allows
            .iter()
            .filter_map(|a| a.get())
            .find(|a| a.driver == driver && a.number == number && a.readonly == readonly)
            .filter(|a| a.len > 0 && self.in_process_memory(a.ptr, a.len, readonly))
            .map(|a| (a.ptr, a.len))
    }

    /// Queues an upcall; false (and counted) when the queue is full.
    pub fn enqueue_upcall(&self, u: Upcall) -> bool {
        let len = self.upcall_len.get();
        if len == MAX_UPCALLS {
            self.upcalls_dropped
                .set(self.upcalls_dropped.get().wrapping_add(1));
            return false;
        }
        let idx = (self.upcall_head.get() + len) % MAX_UPCALLS;
        self.upcalls[idx].set(Some(u));
        self.upcall_len.set(len + 1);
        true
    }

    /// Removes the oldest queued upcall (optionally only one for a given slot).
    pub fn dequeue_upcall(&self, only: Option<(u32, u32)>) -> Option<Upcall> {
        let len = self.upcall_len.get();
        let head = self.upcall_head.get();
        for i in 0..len {
            let idx = (head + i) % MAX_UPCALLS;
            let u = match self.upcalls[idx].get() {
                Some(u) => u,
                None => continue,
            };
            if let Some((d, s)) = only {
                if u.driver != d || u.subscribe != s {
                    continue;
                }
            }
            // Close the gap so the ring stays in order.
            for j in i..len - 1 {
                let a = (head + j) % MAX_UPCALLS;
                let b = (head + j + 1) % MAX_UPCALLS;
                self.upcalls[a].set(self.upcalls[b].get());
            }
            self.upcalls[(head + len - 1) % MAX_UPCALLS].set(None);
            self.upcall_len.set(len - 1);
            return Some(u);
        }
        None
    }

    fn drop_upcalls(&self, driver: u32, subscribe: u32) {
        while self.dequeue_upcall(Some((driver, subscribe))).is_some() {}
    }

    /// The address of grant `number`, allocating (and initialising via `init`) on first use.
    pub fn grant_pointer(
        &self,
        number: usize,
        size: usize,
        align: usize,
        init: impl FnOnce(usize),
    ) -> Result<usize, crate::ErrorCode> {
        let slot = self.grants.get(number).ok_or(crate::ErrorCode::Invalid)?;
        if slot.get() != 0 {
            return Ok(slot.get());
        }
        let size = size.max(1);
        let addr = crate::grant::carve(self.kernel_break.get(), self.app_break.get(), size, align)
            .ok_or(crate::ErrorCode::NoMem)?;
        self.kernel_break.set(addr);
        init(addr);
        slot.set(addr);
        Ok(addr)
    }

    /// True when grant `number` is allocated.
    pub fn has_grant(&self, number: usize) -> bool {
        self.grants.get(number).map_or(false, |g| g.get() != 0)
    }

    /// Marks grant `number` entered; false if it already is.
    pub fn grant_try_enter(&self, number: usize) -> bool {
        let bit = 1u32 << number;
        if self.grants_entered.get() & bit != 0 {
            return false;
        }
        self.grants_entered.set(self.grants_entered.get() | bit);
        true
    }

    /// Clears the entered mark of grant `number`.
    pub fn grant_leave(&self, number: usize) {
        self.grants_entered
            .set(self.grants_entered.get() & !(1u32 << number));
    }
}

impl Default for Process {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc_with_ram() -> Process {
        let p = Process::new();
        let layout = Layout {
            flash_start: 0x40000,
            flash_end: 0x41000,
            header_size: 64,
            protected_size: 0,
            entry: 0x40041,
            ram_start: 0x2000_8000,
            ram_end: 0x2000_9000,
            initial_break: 0x2000_8800,
            short_id: None,
        };
        p.install(0, "t", layout, FaultPolicy::Stop, 1);
        p.reset(1, MpuConfig::default(), 0x2000_8800);
        p
    }

    #[test]
    fn allow_bounds() {
        let p = proc_with_ram();
        assert!(p.in_process_memory(0x2000_8000, 0x800, false));
        assert!(!p.in_process_memory(0x2000_8000, 0x801, false));
        assert!(!p.in_process_memory(0x1fff_ffff, 2, false));
        assert!(!p.in_process_memory(usize::MAX, 2, false));
        assert!(p.in_process_memory(0x40100, 16, true));
        assert!(!p.in_process_memory(0x40100, 16, false));
    }

    #[test]
    fn subscribe_returns_previous_and_drops_pending() {
        let p = proc_with_ram();
        let s = |f| Subscription {
            driver: 1,
            subscribe: 0,
            function: f,
            appdata: 7,
        };
        assert_eq!(p.subscribe(s(0x40101)), Some((0, 0)));
        assert!(p.enqueue_upcall(Upcall {
            driver: 1,
            subscribe: 0,
            args: [1, 2, 3]
        }));
        assert_eq!(p.subscribe(s(0x40201)), Some((0x40101, 7)));
        assert_eq!(p.upcalls_pending(), 0);
        assert_eq!(p.subscription(1, 0).unwrap().function, 0x40201);
    }

    #[test]
    fn null_upcalls_hold_no_slot() {
        let p = proc_with_ram();
        for d in 0..(MAX_SUBSCRIPTIONS as u32 * 2) {
            assert_eq!(
                p.subscribe(Subscription {
                    driver: d,
                    subscribe: 0,
                    function: 0,
                    appdata: 5
                }),
                Some((0, 0))
            );
        }
        for d in 0..MAX_SUBSCRIPTIONS as u32 {
            assert!(p
                .subscribe(Subscription {
                    driver: d,
                    subscribe: 1,
                    function: 0x40101,
                    appdata: 0
                })
                .is_some());
        }
        let full = Subscription {
            driver: 99,
            subscribe: 1,
            function: 0x40101,
            appdata: 0,
        };
        assert_eq!(
            p.subscribe(full),
            None,
            "table full fails only this process's call"
        );
        assert_eq!(
            p.subscribe(Subscription {
                driver: 0,
                subscribe: 1,
                function: 0,
                appdata: 0
            }),
            Some((0x40101, 0))
        );
        assert_eq!(p.subscribe(full), Some((0, 0)));
    }

    #[test]
    fn upcall_queue_is_fifo_and_bounded() {
        let p = proc_with_ram();
        for i in 0..MAX_UPCALLS as u32 {
            assert!(p.enqueue_upcall(Upcall {
                driver: i % 2,
                subscribe: 0,
                args: [i, 0, 0]
            }));
        }
        assert!(!p.enqueue_upcall(Upcall {
            driver: 0,
            subscribe: 0,
            args: [99, 0, 0]
        }));
        assert_eq!(p.upcalls_dropped(), 1);
        assert_eq!(p.dequeue_upcall(Some((1, 0))).unwrap().args[0], 1);
        assert_eq!(p.dequeue_upcall(None).unwrap().args[0], 0);
        assert_eq!(p.dequeue_upcall(None).unwrap().args[0], 2);
        assert_eq!(p.upcalls_pending(), MAX_UPCALLS - 3);
    }

    #[test]
    fn grants_come_from_the_top_and_fail_alone() {
        let p = proc_with_ram();
        let a = p.grant_pointer(0, 16, 4, |_| {}).unwrap();
        assert_eq!(a, 0x2000_8ff0);
        assert_eq!(
            p.grant_pointer(0, 16, 4, |_| panic!("allocated twice"))
                .unwrap(),
            a
        );
        assert_eq!(p.grant_pointer(1, 0x7f0, 4, |_| {}).unwrap(), 0x2000_8800);
        assert_eq!(
            p.grant_pointer(2, 4, 4, |_| {}),
            Err(crate::ErrorCode::NoMem)
        );
        assert_eq!(p.grants_used(), 2);
        assert!(p.grant_try_enter(0));
        assert!(!p.grant_try_enter(0));
        p.grant_leave(0);
        assert!(p.grant_try_enter(0));
    }

    #[test]
    fn allow_table() {
        let p = proc_with_ram();
        let e = AllowEntry {
            driver: 1,
            number: 1,
            readonly: true,
            ptr: 0x2000_8000,
            len: 4,
        };
        assert_eq!(p.allow(e), Some((0, 0)));
        assert_eq!(p.allowed(1, 1, true), Some((0x2000_8000, 4)));
        assert_eq!(p.allowed(1, 1, false), None);
        assert_eq!(
            p.allow(AllowEntry {
                ptr: 0,
                len: 0,
                ..e
            }),
            Some((0x2000_8000, 4))
        );
        assert_eq!(p.allowed(1, 1, true), None);
    }
}
