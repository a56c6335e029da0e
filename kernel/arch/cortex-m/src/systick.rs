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
    /// `hz / 1_000_000` when the clock is a whole number of MHz (every board's is): a
    /// timeslice's reload value is then one multiplication, not a 64-bit division (a third of
    /// a context switch's cycles before).
    per_us: u32,
}

impl SysTick {
    /// A timer for a core clocked at `hz`.
    pub const fn new(hz: u32) -> Self {
        let per_us = if hz % 1_000_000 == 0 {
            hz / 1_000_000
        } else {
            0
        };
        SysTick { hz, per_us }
    }

    /// The reload value for `us` microseconds, within the 24-bit counter (at least 1).
    fn ticks(&self, us: u32) -> u32 {
        let t = if self.per_us != 0 {
            self.per_us.saturating_mul(us)
        } else {
            ((self.hz as u64 * us as u64) / 1_000_000).min(u32::MAX as u64) as u32
        };
        t.clamp(1, 0x00ff_ffff)
    }
}

fn expired_flag() -> &'static mut u32 {
    // SAFETY: a word-sized kernel static; the handler writes 1 and the kernel thread reads or
    // writes it, each access a single aligned word store/load on one core.
    unsafe { &mut *core::ptr::addr_of_mut!(crate::CM_SYSTICK_EXPIRED) }
}

impl SchedulerTimer for SysTick {
    fn start(&self, us: u32) {
        let ticks = self.ticks(us);
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

/// Starts another timeslice as long as the one that just ended, from the SysTick handler
/// (which leaves the counter running on its switch path): writing SYST_CVR clears it (and
/// COUNTFLAG) and the counter reloads from SYST_RVR on the next clock (ARMv7-M ARM B3.3.1
/// "The system timer, SysTick", B3.3.3 SYST_RVR, B3.3.4 SYST_CVR), so that write is the whole
/// restart. The kernel starts every timeslice with the same length (`TIMESLICE_US`), so the
/// reload value is the next timeslice's too. The expired flag stays clear: the handler sets
/// it only when it goes back to the kernel thread.
#[inline(always)]
pub fn restart() {
    SYSTICK.cvr.set(0);
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

#[cfg(test)]
mod tests {
    use super::SysTick;

    #[test]
    fn reload_values_match_the_exact_division() {
        for hz in [64_000_000u32, 25_000_000, 32_768, 1_000_001] {
            let t = SysTick::new(hz);
            for us in [0u32, 1, 10, 1_000, 10_000, 250_000, 1_000_000, u32::MAX] {
                let exact = ((hz as u64 * us as u64) / 1_000_000).clamp(1, 0x00ff_ffff) as u32;
                assert_eq!(t.ticks(us), exact, "{} Hz, {} us", hz, us);
            }
        }
    }
}
