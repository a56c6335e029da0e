//! ARMv7-M support: context switch, exception handlers, NVIC, SysTick, PMSAv7 MPU, faults.
//!
//! The kernel runs privileged in thread mode on the main stack; processes run unprivileged
//! in thread mode on the process stack. `switch_to_process` saves the kernel's callee-saved
//! registers, loads the process's, and issues `svc 0xff`: the SVC handler drops privilege and
//! returns to the process. Any trap from the process (system call, interrupt, SysTick, fault)
//! restores privilege and returns to the kernel's thread on the main stack, right after that
//! `svc`, where the process's registers are saved again. The kernel learns why from
//! `SWITCH_REASON`. Interrupt handlers do no device work: they mask and pend their line so
//! the kernel's loop services it (see `nvic`).
//!
//! It also holds what each board's entry, set-up and panic paths share: `vector_table`,
//! `init_ram` (reset-time .data/.bss set-up), `static_init!`, `kernel_panic` and
//! `process_panic` (report, then `halt`).
//!
//! Only the assembly and the register accesses are target-specific; the MPU layout
//! arithmetic (`mpu::cover`) is plain Rust and is unit-tested on the host.
#![no_std]
// `map_or(false, ..)` stays: its suggested replacement (`is_some_and`) needs Rust 1.70 and the
// kernel must build with Debian's 1.63.
#![allow(unknown_lints, clippy::unnecessary_map_or)]
// `is_multiple_of` (1.87) and `div_ceil` (1.73) are newer than Debian's 1.63 as well.
#![allow(clippy::manual_is_multiple_of, clippy::manual_div_ceil)]
// Array initialisers `[CONST; N]` of non-Copy cells need a named const on Rust 1.63.
#![allow(clippy::declare_interior_mutable_const)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod itm;
pub mod mpu;
pub mod nvic;
pub mod scb;
pub mod systick;

#[cfg(target_arch = "arm")]
use kernel::platform::FaultInfo;
use kernel::platform::{Accessible, ContextSwitchReason, StoredState, UserspaceKernelBoundary};

/// Why the last switch came back (written by the handlers, read by the kernel thread).
#[no_mangle]
pub static mut CM_SWITCH_REASON: u32 = 0;
/// Set by the SysTick handler when a timeslice ends.
#[no_mangle]
pub static mut CM_SYSTICK_EXPIRED: u32 = 0;
/// Fault registers captured by the fault handler for a process fault.
#[no_mangle]
pub static mut CM_FAULT: [u32; 6] = [0; 6];

/// The saved state of the process the kernel thread's switch is running (set by
/// `switch_to_process`, moved by the SysTick handler's switch `cm_fast_switch`): where the
/// switch writes the registers back when it returns. `StoredState` is `repr(C)` with `regs`
/// first, so the assembly stores and loads r4-r11 through this pointer.
#[cfg(target_arch = "arm")]
#[no_mangle]
static mut CM_CURRENT_STATE: *mut StoredState = core::ptr::null_mut();

#[cfg(target_arch = "arm")]
const REASON_SYSCALL: u32 = 1;
#[cfg(target_arch = "arm")]
const REASON_FAULT: u32 = 2;

/// Size of the hardware exception frame (r0-r3, r12, lr, pc, xPSR).
pub const FRAME_BYTES: usize = 32;

/// The Cortex-M implementation of the kernel's `UserspaceKernelBoundary`.
pub struct CortexM;

fn frame_ok(sp: usize, acc: Accessible) -> bool {
    sp % 4 == 0 && sp >= acc.0 && sp.checked_add(FRAME_BYTES).map_or(false, |e| e <= acc.1)
}

/// Word `i` of the frame at `sp`.
fn frame_word(sp: usize, i: usize) -> u32 {
    // SAFETY: callers check `frame_ok(sp, accessible)` first: the eight words lie inside the
    // suspended process's own RAM, which the kernel may read.
    unsafe { core::ptr::read_volatile((sp as *const u32).add(i)) }
}

/// Writes word `i` of the frame at `sp`.
fn set_frame_word(sp: usize, i: usize, v: u32) {
    // SAFETY: callers check `frame_ok(sp, accessible)` first: the eight words lie inside the
    // suspended process's own RAM (below its break, never kernel or grant memory).
    unsafe { core::ptr::write_volatile((sp as *mut u32).add(i), v) };
}

fn read_frame(sp: usize) -> [u32; 8] {
    // Built word by word rather than filled into a zeroed array: no `memset` on the
    // system-call path.
    let w = |i| frame_word(sp, i);
    [w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7)]
}

fn write_frame(sp: usize, f: &[u32; 8]) {
    for (i, w) in f.iter().enumerate() {
        // SAFETY: callers check `frame_ok(sp, accessible)` first: the eight words lie inside
        // the suspended process's own RAM (below its break, never kernel or grant memory).
        unsafe { core::ptr::write_volatile((sp as *mut u32).add(i), *w) };
    }
}

const XPSR_THUMB: u32 = 1 << 24;
const XPSR_ALIGN: u32 = 1 << 9;
/// The xPSR bits a Thread-mode context may carry: N Z C V Q, IT/ICI, GE and the stack
/// realignment bit (ARMv7-M ARM B1.4.2, B1.5.6). Not IPSR (bits 8:0): Thread mode runs with
/// IPSR 0.
const XPSR_THREAD_BITS: u32 = 0xf80f_0000 | 0x0600_fc00 | XPSR_ALIGN;

/// The stacked xPSR a process is resumed with: its own flags, IPSR 0 and the Thumb bit set.
///
/// The frame lies in the process's memory, and the process can have it written while it is
/// suspended (a yield flag pointer or an allowed buffer aimed at its own stack). Returning to
/// Thread mode with a non-zero IPSR is an INVPC UsageFault on the exception return itself
/// (ARMv7-M ARM B1.5.8), which QEMU takes on the main stack as if the kernel had faulted: so
/// the kernel resumes a process only through a frame whose xPSR Thread mode can hold, the same
/// rule `set_upcall` applies when it builds an upcall's frame.
pub fn thread_xpsr(stacked: u32) -> u32 {
    (stacked & XPSR_THREAD_BITS) | XPSR_THUMB
}

impl UserspaceKernelBoundary for CortexM {
    fn initialize_process(
        &self,
        state: &mut StoredState,
        acc: Accessible,
        stack_top: usize,
        entry: usize,
        args: [u32; 4],
    ) -> Result<(), ()> {
        let sp = (stack_top & !7).checked_sub(FRAME_BYTES).ok_or(())?;
        if !frame_ok(sp, acc) {
            return Err(());
        }
        // r0-r3 = the entry arguments, r12 = 0, lr = 1 (a return from the entry function is a
        // fault at address 0, as with Tock's initial frame, whose lr is the unset yield pc | 1).
        let frame = [
            args[0],
            args[1],
            args[2],
            args[3],
            0,
            1,
            (entry & !1) as u32,
            XPSR_THUMB,
        ];
        write_frame(sp, &frame);
        state.sp = sp;
        state.pc = entry;
        state.regs = [0; 8];
        Ok(())
    }

    fn set_syscall_return(
        &self,
        state: &StoredState,
        acc: Accessible,
        ret: &[u32],
    ) -> Result<(), ()> {
        if !frame_ok(state.sp, acc) || ret.len() > 4 {
            return Err(());
        }
        // Only the registers of the return variant: the rest of the frame stays as stacked.
        for (i, v) in ret.iter().enumerate() {
            set_frame_word(state.sp, i, *v);
        }
        Ok(())
    }

    fn set_upcall(
        &self,
        state: &mut StoredState,
        acc: Accessible,
        function: usize,
        args: [u32; 4],
    ) -> Result<(), ()> {
        if !frame_ok(state.sp, acc) {
            return Err(());
        }
        let mut f = read_frame(state.sp);
        // The upcall returns (bx lr) to where the process yielded.
        let resume = f[6] | 1;
        f[..4].copy_from_slice(&args);
        f[4] = 0;
        f[5] = resume;
        f[6] = (function & !1) as u32;
        f[7] = (f[7] & XPSR_ALIGN) | XPSR_THUMB;
        write_frame(state.sp, &f);
        Ok(())
    }

    /// # Safety
    /// As the trait requires: the MPU is configured for this process and `state` is its own.
    unsafe fn switch_to_process(
        &self,
        state: &mut StoredState,
        acc: Accessible,
    ) -> ContextSwitchReason {
        #[cfg(not(target_arch = "arm"))]
        {
            // Host builds (unit tests of the pure parts) never run processes.
            let _ = (state, acc);
            ContextSwitchReason::Interrupted
        }
        #[cfg(target_arch = "arm")]
        {
            if frame_ok(state.sp, acc) {
                let stacked = frame_word(state.sp, 7);
                let xpsr = thread_xpsr(stacked);
                if xpsr != stacked {
                    set_frame_word(state.sp, 7, xpsr);
                }
            }
            let regs = state.regs.as_mut_ptr();
            let sp = state.sp as u32;
            let state: *mut StoredState = state;
            // SAFETY: plain stores to kernel-owned statics; handlers only write them while the
            // process runs, which cannot overlap these kernel-thread accesses.
            unsafe {
                core::ptr::write_volatile(core::ptr::addr_of_mut!(CM_SWITCH_REASON), 0);
                core::ptr::write_volatile(core::ptr::addr_of_mut!(CM_CURRENT_STATE), state);
            }
            // SAFETY: the caller (kernel) configured the MPU for this process and `state` is
            // its saved state; `cm_switch_to_user` preserves the AAPCS callee-saved registers
            // and writes r4-r11 back through `CM_CURRENT_STATE`.
            let sp = unsafe { cm_switch_to_user(sp, regs) };
            // The SysTick handler may have switched to another process meanwhile
            // (`cm_fast_switch`): the state is that of the process that came back, and so is
            // the memory (the handler published that process; it leaves the memory to be
            // looked up here, off its path).
            // SAFETY: a read of a kernel-owned static, written before the switch or by the
            // handler that switched.
            let came_back =
                unsafe { core::ptr::read_volatile(core::ptr::addr_of!(CM_CURRENT_STATE)) };
            let acc = if came_back == state {
                acc
            } else {
                kernel::Kernel::running_accessible()
            };
            // SAFETY: `CM_CURRENT_STATE` is `state` or the `stored` of the process switched
            // to, which lives for ever and which nothing else refers to while the kernel
            // thread handles its return (the handlers are done).
            let state = unsafe { &mut *came_back };
            state.sp = sp as usize;
            // SAFETY: read of a kernel-owned static written by the handler that returned here.
            let reason = unsafe { core::ptr::read_volatile(core::ptr::addr_of!(CM_SWITCH_REASON)) };
            match reason {
                REASON_SYSCALL => {
                    if !frame_ok(state.sp, acc) {
                        return ContextSwitchReason::Fault(FaultInfo {
                            exception: 11,
                            sp: state.sp as u32,
                            ..FaultInfo::default()
                        });
                    }
                    let w = |i| frame_word(state.sp, i);
                    let f = [w(0), w(1), w(2), w(3)];
                    let pc = w(6) as usize;
                    state.pc = pc;
                    // The class is the immediate of the `svc` just before the return address;
                    // that halfword is in the process's flash (it just executed it).
                    let class = if pc >= 2 {
                        // SAFETY: the process executed this instruction, so the address is in
                        // its executable flash region, readable by the kernel.
                        unsafe { core::ptr::read_volatile((pc - 2) as *const u8) }
                    } else {
                        0xff
                    };
                    ContextSwitchReason::Syscall {
                        class,
                        args: [f[0], f[1], f[2], f[3]],
                        // SAFETY: `frame_ok` above: the frame's eight words (r0-r3 first) lie
                        // in the memory the process may access, word aligned.
                        ret: unsafe { kernel::platform::ReturnSlot::new(state.sp as *mut u32) },
                    }
                }
                REASON_FAULT => {
                    // SAFETY: kernel-owned static filled by the fault handler before returning.
                    let r = unsafe { core::ptr::read_volatile(core::ptr::addr_of!(CM_FAULT)) };
                    let mut info = FaultInfo {
                        exception: r[0] as u8,
                        cfsr: r[1],
                        hfsr: r[2],
                        mmfar: r[3],
                        bfar: r[4],
                        pc: 0,
                        sp: state.sp as u32,
                    };
                    if frame_ok(state.sp, acc) {
                        info.pc = frame_word(state.sp, 6);
                        state.pc = info.pc as usize;
                    }
                    ContextSwitchReason::Fault(info)
                }
                _ => {
                    if frame_ok(state.sp, acc) {
                        state.pc = frame_word(state.sp, 6) as usize;
                    }
                    ContextSwitchReason::Interrupted
                }
            }
        }
    }

    /// The ITM's stimulus port `abi::trace::PORT` is enabled (see `itm`).
    fn tracing(&self) -> bool {
        #[cfg(target_arch = "arm")]
        return itm::enabled(kernel::abi::trace::PORT as usize);
        #[cfg(not(target_arch = "arm"))]
        false
    }

    /// Trace events go out on ITM stimulus port `abi::trace::PORT` (see `itm`).
    fn trace(&self, words: [u32; 2]) {
        #[cfg(target_arch = "arm")]
        for w in words {
            itm::write(kernel::abi::trace::PORT as usize, w);
        }
        #[cfg(not(target_arch = "arm"))]
        let _ = words;
    }
}

#[cfg(target_arch = "arm")]
extern "C" {
    fn cm_switch_to_user(psp: u32, regs: *mut u32) -> u32;
}

/// The system-call fast path, called by `cm_svc_handler` in handler mode for an SVC from a
/// process whose class the fast path may answer (yield 0, memop 5: the handler reads the
/// `svc`'s immediate and calls this for those only), with its stack pointer and the class:
/// asks `Kernel::fast_syscall` and, when it answered, writes the return registers into the
/// frame and returns 1, so the handler returns straight to the process (no switch to the
/// kernel thread and back: two exception entries and returns and the kernel's register save
/// saved). 0: the kernel thread serves the call.
#[cfg(target_arch = "arm")]
#[no_mangle]
extern "C" fn cm_fast_syscall(psp: u32, class: u32) -> u32 {
    let sp = psp as usize;
    // The hardware has just stacked this frame at `sp` (an SVC is taken only once the
    // stacking succeeded, ARMv7-M ARM B1.5.6), so its eight words are the process's own
    // accessible memory.
    let class = class as u8;
    // SAFETY: r0-r3 of the frame just stacked in the process's own memory (above); the
    // process is suspended in this trap and nothing else refers to these words.
    let regs = unsafe { &mut *(sp as *mut [u32; 4]) };
    match kernel::Kernel::fast_syscall(class, regs) {
        kernel::FastAnswer::No => 0,
        kernel::FastAnswer::Yes => 1,
        kernel::FastAnswer::WroteMemory => {
            // A yield flag aimed at the frame's xPSR: resume only through a frame Thread
            // mode can hold, as `switch_to_process` does.
            let stacked = frame_word(sp, 7);
            let xpsr = thread_xpsr(stacked);
            if xpsr != stacked {
                set_frame_word(sp, 7, xpsr);
            }
            1
        }
    }
}

/// The handler-mode context switch, jumped to (never called: it does not return) by
/// `cm_systick_handler` when a process's timeslice ends, the process's r4-r11, stack pointer
/// and pc already stored in its own state by the handler (`CM_CURRENT_STATE`), with the
/// handler's EXC_RETURN and the main stack pointer of its entry. When the kernel loop would
/// do nothing but pick the next process (no interrupt line pending in the NVIC, and
/// `Kernel::fast_switch`: no fault request, the next ready process Running, its frame in its
/// memory), lets the kernel do the loop's bookkeeping (quantum, scheduler, the system-call
/// fast path's process), points the kernel thread's switch at the next process's state
/// (`CM_CURRENT_STATE`), makes its stacked xPSR Thread-safe, loads its MPU regions, restarts
/// the timeslice and resumes it: the main stack back to its entry value, PSP its stack
/// pointer, its r4-r11, the exception return (one exception entry and return instead of two
/// of each, and no pass through the kernel thread's loop). Otherwise it jumps to
/// `cm_systick_declined` and the kernel thread ends the timeslice as before. No capsule code
/// runs here.
///
/// One monomorphic path: the kernel's pick and commit are inlined here, the pending check is
/// the NVIC's pending words, the MPU pairs and the SysTick restart are register writes; no
/// `Platform` or `Chip` object is called. Never returning, it saves no callee-saved register
/// (the process's are in its state) and pops nothing.
#[cfg(target_arch = "arm")]
#[no_mangle]
extern "C" fn cm_fast_switch(exc_return: u32, msp: u32) -> ! {
    // An interrupt line pending (the vector table's lines; a chip that serves fewer clears
    // the others as it services its own, `nvic::clear_pending_from`): the kernel loop
    // services it first.
    if nvic::has_pending(IRQS as u32) {
        decline(exc_return, msp);
    }
    let (_from, to) = match kernel::Kernel::fast_switch(
        #[inline(always)]
        |_from, to| {
            // `to`'s frame must lie in its memory. `from`'s was just stacked by the hardware
            // (SysTick is taken only once the stacking succeeded, ARMv7-M ARM B1.5.6), so it
            // is in `from`'s memory without a check.
            // SAFETY: `to` is not running and its saved state is touched only by the kernel
            // thread, which is suspended in the switch to `from`: nothing else refers to it.
            let to_sp = unsafe { (*to.stored.as_ptr()).sp };
            frame_ok(to_sp, to.accessible())
        },
    ) {
        Some(s) => s,
        None => decline(exc_return, msp),
    };
    // The kernel thread's suspended switch now refers to `to`'s state. (`from`'s r4-r11, sp
    // and pc went where that switch referred before: `run_process` publishes a process and
    // then switches to its state, and this moves both to `to` together.)
    let to_state = to.stored.as_ptr();
    // SAFETY: `to`'s state is touched only by the kernel thread, suspended; the static is the
    // kernel's, read by the kernel thread only after this handler returned.
    let to_sp = unsafe {
        core::ptr::write_volatile(core::ptr::addr_of_mut!(CM_CURRENT_STATE), to_state);
        (*to_state).sp
    };
    // Resume only through a frame Thread mode can hold, as `switch_to_process` does (written
    // back unconditionally: a compare and branch cost more than the store).
    set_frame_word(to_sp, 7, thread_xpsr(frame_word(to_sp, 7)));
    // The kernel thread configured the MPU for `from` before switching to it, so the MPU is
    // on and `to`'s regions differ from what it holds.
    mpu::load_switch(to.mpu_config());
    systick::restart();
    // SAFETY: `to_state` is `to`'s saved state (r4-r11 first, `StoredState` is repr(C)) and
    // `to_sp` the frame checked above; `msp` is the main stack pointer at this exception's
    // entry (what this function's own frame sits below: nothing on it is needed any more) and
    // `exc_return` the EXC_RETURN of that entry (to Thread mode on the process stack). The
    // process's r4-r11 are loaded last, after every use of the registers this function had.
    unsafe {
        core::arch::asm!(
            "mov sp, r3",
            "msr psp, r1",
            "ldmia r0, {{r4-r11}}",
            "bx r2",
            in("r0") to_state,
            in("r1") to_sp,
            in("r2") exc_return,
            in("r3") msp,
            options(noreturn)
        )
    }
}

/// The switch is the kernel thread's (`cm_fast_switch`'s refusal): back to the SysTick
/// handler's path to the kernel thread with the main stack as at the exception's entry and
/// `lr` its EXC_RETURN.
#[cfg(target_arch = "arm")]
#[inline(always)]
fn decline(exc_return: u32, msp: u32) -> ! {
    // SAFETY: `msp` and `exc_return` are the handler's entry values (see `cm_fast_switch`);
    // `cm_systick_declined` reloads the process's r4-r11 from its state, where the handler
    // stored them, and ends the timeslice.
    unsafe {
        core::arch::asm!(
            "mov sp, r1",
            "mov lr, r0",
            "b cm_systick_declined",
            in("r0") exc_return,
            in("r1") msp,
            options(noreturn)
        )
    }
}

/// Captures the fault status of a process fault (called from the fault handler in handler
/// mode) and clears the sticky status bits so the next fault reads fresh values.
#[cfg(target_arch = "arm")]
#[no_mangle]
extern "C" fn cm_record_process_fault(ipsr: u32) {
    let cfsr = scb::cfsr();
    let f = [ipsr & 0xff, cfsr, scb::hfsr(), scb::mmfar(), scb::bfar(), 0];
    scb::clear_fault_status();
    // SAFETY: handler mode, single core: nothing else touches CM_FAULT until the kernel thread
    // reads it after this handler returns.
    unsafe { core::ptr::write_volatile(core::ptr::addr_of_mut!(CM_FAULT), f) };
}

/// A fault in the kernel itself: the board's hook prints the report and halts.
#[cfg(target_arch = "arm")]
#[no_mangle]
extern "C" fn cm_kernel_fault(frame: *const u32) -> ! {
    let mut regs = [0u32; 8];
    for (i, r) in regs.iter_mut().enumerate() {
        // SAFETY: `frame` is the main stack pointer at the faulting exception's entry, where
        // the hardware just stacked eight words (a kernel fault never comes from a bad MSP
        // in practice; if it did, this read would lock up the core, which is the best a
        // broken kernel can do).
        *r = unsafe { core::ptr::read_volatile(frame.add(i)) };
    }
    let info = FaultInfo {
        exception: (scb::ipsr() & 0xff) as u8,
        cfsr: scb::cfsr(),
        hfsr: scb::hfsr(),
        mmfar: scb::mmfar(),
        bfar: scb::bfar(),
        pc: regs[6],
        sp: frame as u32,
    };
    let (kind, addr, detail) = kernel::fault::describe(&info);
    kernel::kprintln!(
        "[kernel] KERNEL PANIC: kernel fault: {} (address {:#010x?}): {}",
        kind,
        addr,
        detail
    );
    kernel::kprintln!(
        "[kernel]   pc {:#010x} lr {:#010x} CFSR {:#010x} HFSR {:#010x}",
        regs[6],
        regs[5],
        info.cfsr,
        info.hfsr
    );
    halt()
}

/// Places a value in its own static and evaluates to a `&'static mut` to it.
///
/// Each expansion site may run only once (board setup runs once, at boot): a second run would
/// hand out a second `&'static mut` to the same value, so it panics instead (a component
/// function called twice, say). It lives here rather than in `kernel`
/// because capsules depend on `kernel` only: `#![forbid(unsafe_code)]` does not see the
/// `unsafe` inside another crate's macro, and capsules must not create statics this way.
///
/// ```
/// let n: &'static mut u32 = cortexm::static_init!(u32, 5);
/// *n += 1;
/// assert_eq!(*n, 6);
/// ```
#[macro_export]
macro_rules! static_init {
    ($t:ty, $e:expr) => {{
        static mut BUF: core::mem::MaybeUninit<$t> = core::mem::MaybeUninit::uninit();
        static USED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        if USED.swap(true, core::sync::atomic::Ordering::Relaxed) {
            panic!("static_init! ran twice at {}:{}", file!(), line!());
        }
        let value: $t = $e;
        // SAFETY: each expansion owns its `BUF`, and `USED` lets only the first run get here,
        // so this is the only reference ever made to it.
        unsafe { (*core::ptr::addr_of_mut!(BUF)).write(value) }
    }};
}

/// The boards' panic hook (`Kernel::set_panic_hook`): reports the process whose fault policy
/// is panic and halts.
pub fn process_panic(p: &kernel::process::Process, f: &kernel::platform::FaultInfo) -> ! {
    let (kind, _, _) = kernel::fault::describe(f);
    kernel::kprintln!(
        "[kernel] KERNEL PANIC: process '{}' faulted ({}) and its fault policy is panic",
        p.name(),
        kind
    );
    // Then what Tock 2.x's panic handler prints for a process fault (kernel/src/debug.rs
    // panic_print: the panic line, the kernel version, the Cortex-M fault status, the app status).
    kernel::kprintln!("panicked at 'Process {} had a fault'", p.name());
    kernel::kprintln!(
        "\tKernel version {}.{} (Capsule kernel {})",
        kernel::kernel::ABI_VERSION.0,
        kernel::kernel::ABI_VERSION.1,
        kernel::kernel::VERSION
    );
    kernel::process_printer::print_fault_status(f);
    kernel::kprintln!("");
    kernel::kprintln!("---| App Status |---");
    kernel::process_printer::print_overview(p);
    kernel::process_printer::print_registers(p);
    halt()
}

/// What the boards' `#[panic_handler]` does: reports the panic and halts.
pub fn kernel_panic(info: &core::panic::PanicInfo) -> ! {
    kernel::kprintln!("[kernel] KERNEL PANIC: {}", info);
    halt()
}

// Bounds of .data (in RAM, loaded from flash at `_sidata`) and .bss, from the boards' linker
// scripts (`layout.ld`), all word-aligned.
#[cfg(target_arch = "arm")]
extern "C" {
    static mut _sdata: u32;
    static mut _edata: u32;
    static _sidata: u32;
    static mut _sbss: u32;
    static mut _ebss: u32;
}

/// Initialises RAM at reset: copies .data from flash and zeroes .bss.
///
/// # Safety
/// Call once, first thing in the reset handler, before anything reads or writes a static. The
/// linker script must define `_sdata`, `_edata`, `_sidata`, `_sbss` and `_ebss` word-aligned
/// around .data and .bss as `layout.ld` does.
#[cfg(target_arch = "arm")]
pub unsafe fn init_ram() {
    // SAFETY: the linker script defines these symbols around .data (in RAM, loaded from
    // flash at _sidata) and .bss; nothing has used RAM yet (the caller's contract), so
    // initialising it is sound.
    unsafe {
        let mut src = core::ptr::addr_of!(_sidata);
        let mut dst = core::ptr::addr_of_mut!(_sdata);
        while dst < core::ptr::addr_of_mut!(_edata) {
            core::ptr::write_volatile(dst, core::ptr::read(src));
            dst = dst.add(1);
            src = src.add(1);
        }
        let mut b = core::ptr::addr_of_mut!(_sbss);
        while b < core::ptr::addr_of_mut!(_ebss) {
            core::ptr::write_volatile(b, 0);
            b = b.add(1);
        }
    }
}

/// Starts another program image as the core would at reset: points VTOR at its vector table,
/// loads the main stack pointer from the table's first word and jumps to the reset handler in
/// its second (ARMv7-M ARM B1.5.5 "Reset behavior", B3.2.5 VTOR). A bootloader calls it.
///
/// # Safety
/// `vector_table` must be the 128-byte aligned vector table of a complete image whose first
/// word is a stack pointer in RAM and second a Thumb address of its reset handler; call it in
/// Thread mode on the main stack with no peripheral left running that could interrupt the
/// image before it sets itself up. Nothing of the caller runs afterwards.
pub unsafe fn jump_to_image(vector_table: usize) -> ! {
    // SAFETY: the caller guarantees a readable vector table at `vector_table`.
    let (sp, pc) = unsafe {
        (
            core::ptr::read_volatile(vector_table as *const u32),
            core::ptr::read_volatile((vector_table + 4) as *const u32),
        )
    };
    // SAFETY: VTOR is architectural; the new table belongs to the image started next.
    unsafe { core::ptr::write_volatile(scb::VTOR as *mut u32, vector_table as u32) };
    #[cfg(target_arch = "arm")]
    // SAFETY: the caller's contract: `sp` and `pc` come from a valid image's table and nothing
    // of this program runs after the branch, so abandoning its stack is sound.
    unsafe {
        core::arch::asm!(
            "msr msp, {sp}",
            "isb",
            "bx {pc}",
            sp = in(reg) sp,
            pc = in(reg) pc,
            options(noreturn)
        )
    }
    #[cfg(not(target_arch = "arm"))]
    {
        let _ = (sp, pc);
        halt()
    }
}

/// Stops the core for good (interrupts off, wait forever).
pub fn halt() -> ! {
    loop {
        #[cfg(target_arch = "arm")]
        // SAFETY: masking interrupts and waiting has no memory effects.
        unsafe {
            core::arch::asm!("cpsid i", "wfi", options(nomem, nostack))
        };
        #[cfg(not(target_arch = "arm"))]
        core::hint::spin_loop();
    }
}

// The exception entry points. They live in assembly because they manipulate EXC_RETURN,
// CONTROL and the two stack pointers, which Rust code cannot express.
#[cfg(target_arch = "arm")]
core::arch::global_asm!(
    ".syntax unified",
    ".thumb",
    // r0 = process stack pointer, r1 = &mut [u32; 8] (process r4-r11). Returns the new PSP.
    ".section .text.cm_switch_to_user,\"ax\",%progbits",
    ".global cm_switch_to_user",
    ".type cm_switch_to_user, %function",
    ".thumb_func",
    // r4-r11 go back to CM_CURRENT_STATE (its first eight words), not r1: the SysTick handler
    // may have switched to another process meanwhile (cm_fast_switch).
    "cm_switch_to_user:",
    "    push {{r1, r4-r11, lr}}",
    "    msr psp, r0",
    "    ldmia r1, {{r4-r11}}",
    "    svc 0xff",
    "    ldr r0, =CM_CURRENT_STATE",
    "    ldr r0, [r0]",
    "    stmia r0, {{r4-r11}}",
    "    mrs r0, psp",
    "    pop {{r1, r4-r11, pc}}",
    ".size cm_switch_to_user, . - cm_switch_to_user",
    //
    ".section .text.cm_svc_handler,\"ax\",%progbits",
    ".global cm_svc_handler",
    ".type cm_svc_handler, %function",
    ".thumb_func",
    "cm_svc_handler:",
    "    tst lr, #4",
    "    beq 1f",
    // From a process: a system call. The class is the immediate of the `svc` before the
    // stacked pc (the process just executed it, so the halfword is in its flash). Yield (0)
    // and memop (5) try the fast path first (cm_fast_syscall, AAPCS: the process's r4-r11
    // survive it); answered, straight back to the process. Other classes go to the kernel
    // thread without a call.
    "    mrs r0, psp",
    "    ldr r1, [r0, #24]",
    "    ldrb r1, [r1, #-2]",
    "    cmp r1, #5",
    "    it ne",
    "    cmpne r1, #0",
    "    bne 2f",
    "    push {{r4, lr}}",
    "    bl cm_fast_syscall",
    "    pop {{r4, lr}}",
    "    cbz r0, 2f",
    "    bx lr",
    // Otherwise back to the kernel thread, privileged, on MSP.
    "2:",
    "    movs r0, #0",
    "    msr control, r0",
    "    isb",
    "    ldr r0, =CM_SWITCH_REASON",
    "    movs r1, #1",
    "    str r1, [r0]",
    "    ldr lr, =0xFFFFFFF9",
    "    bx lr",
    // From the kernel (svc 0xff in cm_switch_to_user): enter the process unprivileged on PSP.
    "1:",
    "    movs r0, #1",
    "    msr control, r0",
    "    isb",
    "    ldr lr, =0xFFFFFFFD",
    "    bx lr",
    ".size cm_svc_handler, . - cm_svc_handler",
    //
    ".section .text.cm_to_kernel,\"ax\",%progbits",
    ".global cm_return_to_kernel",
    ".type cm_return_to_kernel, %function",
    ".thumb_func",
    "cm_return_to_kernel:",
    "    tst lr, #4",
    "    it eq",
    "    bxeq lr",
    "    movs r0, #0",
    "    msr control, r0",
    "    isb",
    "    ldr lr, =0xFFFFFFF9",
    "    bx lr",
    ".size cm_return_to_kernel, . - cm_return_to_kernel",
    //
    ".global cm_systick_handler",
    ".type cm_systick_handler, %function",
    ".thumb_func",
    "cm_systick_handler:",
    // From a process: the handler-mode switch first. The process's r4-r11, sp and pc go into
    // its own state (CM_CURRENT_STATE, repr(C): r4-r11, sp, pc; the kernel thread stores the
    // same values there if the switch is declined), then a jump (no call: it never returns)
    // to cm_fast_switch with EXC_RETURN and the entry's main stack pointer (8-byte aligned by
    // the exception entry, ARMv7-M ARM B1.5.7, as AAPCS wants). It resumes the next process
    // itself, or jumps back to cm_systick_declined.
    "    tst lr, #4",
    "    beq 3f",
    "    ldr r1, =CM_CURRENT_STATE",
    "    ldr r1, [r1]",
    "    stmia r1!, {{r4-r11}}",
    // Then sp and pc (the stacked return address), as the kernel thread would.
    "    mrs r0, psp",
    "    ldr r2, [r0, #24]",
    "    strd r0, r2, [r1]",
    "    mov r0, lr",
    "    mov r1, sp",
    "    b cm_fast_switch",
    // Declined (cm_fast_switch jumps here with the entry's sp and lr): the process's r4-r11
    // back (that function may have used them; the kernel thread stores them into its state
    // again).
    ".global cm_systick_declined",
    "cm_systick_declined:",
    "    ldr r0, =CM_CURRENT_STATE",
    "    ldr r0, [r0]",
    "    ldmia r0, {{r4-r11}}",
    // Back to the kernel thread: the counter stopped, the timeslice's end flagged.
    "3:",
    "    ldr r0, =0xE000E010",
    "    movs r1, #0",
    "    str r1, [r0]",
    "    ldr r0, =CM_SYSTICK_EXPIRED",
    "    movs r1, #1",
    "    str r1, [r0]",
    "    b cm_return_to_kernel",
    ".size cm_systick_handler, . - cm_systick_handler",
    //
    ".global cm_pendsv_handler",
    ".type cm_pendsv_handler, %function",
    ".thumb_func",
    "cm_pendsv_handler:",
    "    b cm_return_to_kernel",
    ".size cm_pendsv_handler, . - cm_pendsv_handler",
    //
    // External interrupts: mask the line and leave it pending for the kernel loop.
    ".global cm_generic_isr",
    ".type cm_generic_isr, %function",
    ".thumb_func",
    "cm_generic_isr:",
    "    mrs r0, ipsr",
    "    and r0, r0, #0xff",
    "    subs r0, r0, #16",
    "    lsrs r2, r0, #5",
    "    and r0, r0, #31",
    "    movs r1, #1",
    "    lsls r1, r1, r0",
    "    ldr r3, =0xE000E180",
    "    str r1, [r3, r2, lsl #2]",
    "    ldr r3, =0xE000E200",
    "    str r1, [r3, r2, lsl #2]",
    "    b cm_return_to_kernel",
    ".size cm_generic_isr, . - cm_generic_isr",
    //
    ".global cm_fault_handler",
    ".type cm_fault_handler, %function",
    ".thumb_func",
    "cm_fault_handler:",
    "    tst lr, #4",
    "    beq 2f",
    "    push {{r4, lr}}",
    "    mrs r0, ipsr",
    "    bl cm_record_process_fault",
    "    pop {{r4, lr}}",
    "    ldr r0, =CM_SWITCH_REASON",
    "    movs r1, #2",
    "    str r1, [r0]",
    "    movs r0, #0",
    "    msr control, r0",
    "    isb",
    "    ldr lr, =0xFFFFFFF9",
    "    bx lr",
    "2:",
    "    mrs r0, msp",
    "    b cm_kernel_fault",
    ".size cm_fault_handler, . - cm_fault_handler",
    ".ltorg",
);

#[cfg(target_arch = "arm")]
extern "C" {
    fn cm_svc_handler();
    fn cm_systick_handler();
    fn cm_pendsv_handler();
    fn cm_generic_isr();
    fn cm_fault_handler();
}

/// One entry of the vector table.
#[derive(Clone, Copy)]
pub union Vector {
    /// A handler.
    pub handler: unsafe extern "C" fn(),
    /// A reserved slot or the initial stack pointer.
    pub raw: usize,
}

/// Number of external interrupt lines in the table.
pub const IRQS: usize = 48;

/// Builds the vector table from entry 1 (reset) on; the linker script puts the initial stack
/// pointer (entry 0) in front of it. `reset` comes from the board.
#[cfg(target_arch = "arm")]
pub const fn vector_table(reset: unsafe extern "C" fn()) -> [Vector; 15 + IRQS] {
    let mut v = [Vector {
        handler: cm_generic_isr,
    }; 15 + IRQS];
    v[0] = Vector { handler: reset };
    v[1] = Vector {
        handler: cm_fault_handler,
    }; // NMI
    v[2] = Vector {
        handler: cm_fault_handler,
    }; // HardFault
    v[3] = Vector {
        handler: cm_fault_handler,
    }; // MemManage
    v[4] = Vector {
        handler: cm_fault_handler,
    }; // BusFault
    v[5] = Vector {
        handler: cm_fault_handler,
    }; // UsageFault
    v[6] = Vector { raw: 0 };
    v[7] = Vector { raw: 0 };
    v[8] = Vector { raw: 0 };
    v[9] = Vector { raw: 0 };
    v[10] = Vector {
        handler: cm_svc_handler,
    };
    v[11] = Vector { raw: 0 };
    v[12] = Vector { raw: 0 };
    v[13] = Vector {
        handler: cm_pendsv_handler,
    };
    v[14] = Vector {
        handler: cm_systick_handler,
    };
    v
}

/// Interrupt masking helpers.
pub mod interrupts {
    /// Runs `f` with interrupts masked (PRIMASK).
    pub fn atomic<R>(f: impl FnOnce() -> R) -> R {
        #[cfg(target_arch = "arm")]
        // SAFETY: masking interrupts has no memory effects; the matching unmask follows.
        unsafe {
            core::arch::asm!("cpsid i", options(nomem, nostack))
        };
        let r = f();
        #[cfg(target_arch = "arm")]
        // SAFETY: unmasking interrupts; the kernel runs with them enabled.
        unsafe {
            core::arch::asm!("cpsie i", options(nomem, nostack))
        };
        r
    }

    /// Waits for an interrupt with interrupts masked, then unmasks them: a pending interrupt
    /// still wakes the core, and its handler runs right after, so no wake-up is lost.
    pub fn sleep_unless(pending: impl FnOnce() -> bool) {
        atomic(|| {
            if !pending() {
                #[cfg(target_arch = "arm")]
                // SAFETY: WFI only waits; it has no memory effects.
                unsafe {
                    core::arch::asm!("wfi", options(nomem, nostack))
                };
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::thread_xpsr;

    #[test]
    fn a_resumed_frame_keeps_the_flags_and_loses_ipsr() {
        // A yield flag of 1 written into the IPSR byte of the frame.
        assert_eq!(thread_xpsr(0x0100_0001), 0x0100_0000);
        // Flags, GE, IT and the realignment bit stay; the Thumb bit is forced on.
        assert_eq!(thread_xpsr(0xf80f_fe00), 0xf90f_fe00);
        assert_eq!(thread_xpsr(0x0000_01ff), 0x0100_0000);
        assert_eq!(thread_xpsr(0xffff_ffff), 0xff0f_fe00);
    }
}
