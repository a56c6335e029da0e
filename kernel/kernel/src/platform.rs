//! What the kernel needs from the architecture, the chip and the board.
//!
//! The kernel crate holds no `asm!` and touches no device: the Cortex-M crate implements
//! `UserspaceKernelBoundary`, `Mpu` and `SchedulerTimer`, the chip crate implements `Chip`, and
//! the board (the only composition root) ties them together in a `Platform`.

use crate::process::ProcessId;
use crate::syscall::CommandReturn;

/// Callee-saved registers and stack pointer of a process while the kernel runs.
///
/// `repr(C)` with `regs` first: an architecture's assembly may save and load r4-r11 through a
/// pointer to the state itself (the Cortex-M SysTick handler's switch does).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct StoredState {
    /// r4-r11.
    pub regs: [u32; 8],
    /// Process stack pointer.
    pub sp: usize,
    /// Program counter where the process last stopped (for reports).
    pub pc: usize,
}

/// A process fault as the hardware reported it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultInfo {
    /// Which exception (3 HardFault, 4 MemManage, 5 BusFault, 6 UsageFault).
    pub exception: u8,
    /// Configurable fault status (CFSR).
    pub cfsr: u32,
    /// HardFault status (HFSR).
    pub hfsr: u32,
    /// MemManage fault address (valid when CFSR.MMARVALID).
    pub mmfar: u32,
    /// BusFault address (valid when CFSR.BFARVALID).
    pub bfar: u32,
    /// Faulting pc, if the exception frame could be read.
    pub pc: u32,
    /// Process stack pointer at the fault.
    pub sp: u32,
}

/// Where a trapped process's return registers (r0-r3, the first four words of its exception
/// frame on Cortex-M) lie, as its architecture found them at the trap: checked then to be
/// inside the memory the process may access. A command's return is written through it
/// (`Kernel::handle_command`) without asking the boundary again: no command changes the
/// process's accessible memory (only memop brk/sbrk and a restart do, and those returns go
/// through `UserspaceKernelBoundary::set_syscall_return`, which checks again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReturnSlot(*mut u32);

impl ReturnSlot {
    /// A slot at `regs`.
    ///
    /// # Safety
    /// The four words at `regs` must lie inside the trapped process's accessible memory (its
    /// own RAM below its break, never kernel or grant memory), word aligned.
    pub unsafe fn new(regs: *mut u32) -> Self {
        ReturnSlot(regs)
    }

    /// Writes the first `regs.len()` (at most four) return registers.
    #[inline(always)]
    pub(crate) fn write(self, regs: &[u32]) {
        for (i, v) in regs.iter().take(4).enumerate() {
            // SAFETY: `new`'s contract: the four words are the process's own memory, and they
            // still are (see the type's documentation: a command changes no process memory
            // bounds, and the caller checked that the process was not restarted).
            unsafe { core::ptr::write_volatile(self.0.add(i), *v) };
        }
    }
}

/// Why control came back from a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextSwitchReason {
    /// It made a system call: class (svc immediate), r0-r3 and where its return goes.
    Syscall {
        class: u8,
        args: [u32; 4],
        ret: ReturnSlot,
    },
    /// It faulted.
    Fault(FaultInfo),
    /// An interrupt (or the timeslice timer) needs the kernel.
    Interrupted,
}

/// Range of process memory the process may access: `[start, end)`.
pub type Accessible = (usize, usize);

/// Switching to and from unprivileged processes.
// The only failure is "the frame is not inside the process's memory"; the kernel reports it
// by process name, so the error carries nothing.
#[allow(clippy::result_unit_err)]
pub trait UserspaceKernelBoundary {
    /// Prepares a fresh process: an exception frame below `stack_top` that enters `entry`
    /// with r0-r3 = `args`. Fails if the frame would not fit in `accessible`.
    fn initialize_process(
        &self,
        state: &mut StoredState,
        accessible: Accessible,
        stack_top: usize,
        entry: usize,
        args: [u32; 4],
    ) -> Result<(), ()>;
    /// Writes a system call's return registers into the process's frame: r0 up to as many as
    /// `ret` holds; the others keep what the process passed.
    fn set_syscall_return(
        &self,
        state: &StoredState,
        accessible: Accessible,
        ret: &[u32],
    ) -> Result<(), ()>;
    /// Makes the process, when it next runs, call `function` with r0-r3 = `args` and return to
    /// where it stopped.
    fn set_upcall(
        &self,
        state: &mut StoredState,
        accessible: Accessible,
        function: usize,
        args: [u32; 4],
    ) -> Result<(), ()>;
    /// Runs the process until it traps.
    ///
    /// # Safety
    /// The MPU must be configured for this process (so it can touch only its own memory) and
    /// `state` must come from `initialize_process` or a previous switch of the same process.
    ///
    /// An architecture may end the process's timeslice and switch to the next process itself
    /// (`Kernel::fast_switch`, from its timer handler): the switch
    /// then returns for that process, its state written back to its own `stored`, and the
    /// kernel learns which process it is from the published process (`run_process`).
    unsafe fn switch_to_process(
        &self,
        state: &mut StoredState,
        accessible: Accessible,
    ) -> ContextSwitchReason;
    /// True while a debugger listens on the architecture's trace port (`abi::trace::PORT`).
    fn tracing(&self) -> bool {
        false
    }
    /// Emits one trace event (two words, `abi::trace`) on the trace port; the kernel calls it
    /// only while `tracing()`. Architectures without a trace port ignore it.
    fn trace(&self, _words: [u32; 2]) {}
}

/// Register values for the MPU regions of one process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MpuConfig {
    /// (RBAR, RASR) pairs for the process regions.
    pub regions: [(u32, u32); 2],
}

/// Why memory could not be protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MpuError {
    /// No region layout covers the range without exposing memory beyond `limit`.
    CannotCover {
        start: usize,
        end: usize,
        limit: usize,
    },
}

/// The memory protection unit.
pub trait Mpu {
    /// Regions for a process with code/data at `flash` (read, execute) and RAM
    /// `[ram_start, app_break)` (read, write) where nothing at or above `limit` may be exposed.
    /// Returns the config and the effective app break (rounded up to the region granularity).
    fn compute(
        &self,
        flash: (usize, usize),
        ram_start: usize,
        app_break: usize,
        limit: usize,
    ) -> Result<(MpuConfig, usize), MpuError>;
    /// Loads a process's regions and enables the MPU.
    fn configure(&self, config: &MpuConfig);
}

/// The timeslice timer (SysTick on Cortex-M).
pub trait SchedulerTimer {
    /// Starts a timeslice of `us` microseconds.
    fn start(&self, us: u32);
    /// True once the timeslice is over.
    fn expired(&self) -> bool;
    /// Stops the timer.
    fn stop(&self);
}

/// The chip: interrupt servicing and sleep.
pub trait Chip {
    /// Runs the bottom halves of all pending interrupts (driver callbacks happen here).
    fn service_pending_interrupts(&self);
    /// True when an interrupt awaits servicing: a pending interrupt line, the chip's own
    /// deferred work or the kernel's deferred calls (`kernel::deferred::pending`). The
    /// deferred work and calls may be set only by kernel-thread code (drivers' bottom halves,
    /// capsules, the kernel's printing), never by an exception handler: the SysTick handler's
    /// context switch (`Kernel::fast_switch`) checks only the interrupt lines, relying on
    /// `run_process` having found this false right before it switched to the process (only
    /// handlers run between that check and the switch).
    fn has_pending_interrupts(&self) -> bool;
    /// Sleeps until an interrupt is pending (no lost wake-ups).
    fn sleep(&self);
}

/// A capsule reachable from userspace.
pub trait SyscallDriver {
    /// Handles a Command system call.
    fn command(&self, command: u32, arg1: u32, arg2: u32, process: ProcessId) -> CommandReturn;
    /// Lets the driver refuse a subscribe number it never delivers (defaults to accepting).
    /// Refused numbers fail with NOSUPPORT and take no slot in the process's table.
    fn subscribe_number_ok(&self, _number: u32) -> bool {
        true
    }
    /// Lets the driver refuse an allow of this number (defaults to accepting any number).
    fn allow_number_ok(&self, _kind_readonly: bool, _number: u32) -> bool {
        true
    }
}

/// Everything the kernel loop uses, provided by the board.
pub trait Platform {
    /// The driver for a driver number.
    fn driver(&self, driver_num: u32) -> Option<&dyn SyscallDriver>;
    /// The chip.
    fn chip(&self) -> &dyn Chip;
    /// The context-switch layer.
    fn boundary(&self) -> &dyn UserspaceKernelBoundary;
    /// The MPU.
    fn mpu(&self) -> &dyn Mpu;
    /// The timeslice timer.
    fn scheduler_timer(&self) -> &dyn SchedulerTimer;
    /// See `UserspaceKernelBoundary::tracing`.
    fn tracing(&self) -> bool {
        self.boundary().tracing()
    }
    /// Emits a trace event (see `UserspaceKernelBoundary::trace`).
    fn trace(&self, words: [u32; 2]) {
        self.boundary().trace(words)
    }
}
