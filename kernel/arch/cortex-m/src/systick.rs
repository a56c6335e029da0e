//! SysTick as the scheduler's timeslice timer.

use kernel::platform::SchedulerTimer;
use registers::{bitfields, register_block, ReadWrite, StaticRef};

bitfields! {
    /// Control and status.
    pub mod Csr {
        /// Counter running.
        ENABLE: 0, 1;
        /// Exception on reaching zero.
        TICKINT: 1, 1;
        /// Processor clock (1) or external reference (0).
        CLKSOURCE: 2, 1;
        /// Reached zero since last read.
        COUNTFLAG: 16, 1;
    }
}

register_block! {
    /// SysTick registers (0xE000E010).
    pub SysTickRegisters {
        (0x0 => csr: ReadWrite<u32, Csr::Register>),
        (0x4 => rvr: ReadWrite<u32>),
        (0x8 => cvr: ReadWrite<u32>),
        (0xc => calib: ReadWrite<u32>),
        @END = 0x10,
    }
}

// SAFETY: 0xE000E010 is the architectural SysTick base on every ARMv7-M core.
const SYSTICK: StaticRef<SysTickRegisters> = unsafe { StaticRef::new(0xE000_E010) };

/// The timeslice timer, counting the processor clock.
pub struct SysTick {
    hz: u32,
}

impl SysTick {
    /// A timer for a core clocked at `hz`.
    pub const fn new(hz: u32) -> Self {
        SysTick { hz }
    }
}

fn expired_flag() -> &'static mut u32 {
    // SAFETY: a word-sized kernel static; the handler writes 1 and the kernel thread reads or
    // writes it, each access a single aligned word store/load on one core.
    unsafe { &mut *core::ptr::addr_of_mut!(crate::CM_SYSTICK_EXPIRED) }
}

impl SchedulerTimer for SysTick {
    fn start(&self, us: u32) {
        let ticks = ((self.hz as u64 * us as u64) / 1_000_000).clamp(1, 0x00ff_ffff) as u32;
        SYSTICK.csr.set(0);
        // SAFETY-free: a volatile word write through the helper.
        unsafe_free_store(expired_flag(), 0);
        SYSTICK.rvr.set(ticks);
        SYSTICK.cvr.set(0);
        SYSTICK
            .csr
            .write(Csr::ENABLE.set() + Csr::TICKINT.set() + Csr::CLKSOURCE.set());
    }
    fn expired(&self) -> bool {
        load(expired_flag()) != 0
    }
    fn stop(&self) {
        SYSTICK.csr.set(0);
    }
}

fn unsafe_free_store(p: &mut u32, v: u32) {
    *p = v;
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

fn load(p: &mut u32) -> u32 {
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
    // The handler writes this word behind the compiler's back; read it as volatile.
    let ptr: *const u32 = p;
    // SAFETY: `ptr` comes from a valid `&mut u32`.
    unsafe { core::ptr::read_volatile(ptr) }
}
