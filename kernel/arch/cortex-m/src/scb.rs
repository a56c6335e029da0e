//! System Control Block: fault status and fault-handler enables.

use registers::{bitfields, register_block, ReadWrite, StaticRef};

bitfields! {
    /// System Handler Control and State.
    pub mod Shcsr {
        /// MemManage exception enabled.
        MEMFAULTENA: 16, 1;
        /// BusFault exception enabled.
        BUSFAULTENA: 17, 1;
        /// UsageFault exception enabled.
        USGFAULTENA: 18, 1;
    }
}

register_block! {
    /// SCB fault registers (from 0xE000ED24).
    pub ScbFaultRegisters {
        (0x00 => shcsr: ReadWrite<u32, Shcsr::Register>),
        (0x04 => cfsr: ReadWrite<u32>),
        (0x08 => hfsr: ReadWrite<u32>),
        (0x0c => _dfsr: ReadWrite<u32>),
        (0x10 => mmfar: ReadWrite<u32>),
        (0x14 => bfar: ReadWrite<u32>),
        @END = 0x18,
    }
}

// SAFETY: 0xE000ED24 is the architectural address of SHCSR on every ARMv7-M core, followed
// by CFSR, HFSR, DFSR, MMFAR and BFAR as laid out above.
const SCB: StaticRef<ScbFaultRegisters> = unsafe { StaticRef::new(0xE000_ED24) };

/// Enables the MemManage, BusFault and UsageFault handlers (instead of escalation).
pub fn enable_fault_handlers() {
    SCB.shcsr
        .modify(Shcsr::MEMFAULTENA.set() + Shcsr::BUSFAULTENA.set() + Shcsr::USGFAULTENA.set());
}
/// Configurable Fault Status Register.
pub fn cfsr() -> u32 {
    SCB.cfsr.get()
}
/// HardFault Status Register.
pub fn hfsr() -> u32 {
    SCB.hfsr.get()
}
/// MemManage Fault Address Register.
pub fn mmfar() -> u32 {
    SCB.mmfar.get()
}
/// BusFault Address Register.
pub fn bfar() -> u32 {
    SCB.bfar.get()
}
/// Clears CFSR and HFSR (write-one-to-clear).
pub fn clear_fault_status() {
    SCB.cfsr.set(SCB.cfsr.get());
    SCB.hfsr.set(SCB.hfsr.get());
}
/// The active exception number.
pub fn ipsr() -> u32 {
    #[cfg(target_arch = "arm")]
    {
        let v: u32;
        // SAFETY: reading IPSR has no side effects.
        unsafe { core::arch::asm!("mrs {}, ipsr", out(reg) v, options(nomem, nostack)) };
        v
    }
    #[cfg(not(target_arch = "arm"))]
    0
}

/// AIRCR write key (bits 31:16) and SYSRESETREQ (bit 2) (ARMv7-M ARM B3.2.6).
const AIRCR: usize = 0xE000_ED0C;
const AIRCR_VECTKEY: u32 = 0x05FA << 16;
const AIRCR_SYSRESETREQ: u32 = 1 << 2;
/// VTOR, the vector table offset (ARMv7-M ARM B3.2.5).
pub(crate) const VTOR: usize = 0xE000_ED08;

/// Asks the system for a reset (SYSRESETREQ) and waits for it.
pub fn system_reset() -> ! {
    // SAFETY: AIRCR is the architectural register at 0xE000ED0C; writing the key with
    // SYSRESETREQ only requests a reset, and nothing runs after it.
    unsafe { core::ptr::write_volatile(AIRCR as *mut u32, AIRCR_VECTKEY | AIRCR_SYSRESETREQ) };
    loop {
        core::hint::spin_loop();
    }
}

/// Points the vector table at `address` (ARMv7-M ARM B3.2.5: aligned to the table's size
/// rounded up to a power of two, at least 128 bytes).
///
/// # Safety
/// `address` must hold a complete vector table for this chip that stays valid (and is not
/// written) for as long as it is in use: every later exception runs the handler it names.
pub unsafe fn set_vector_table(address: usize) {
    // SAFETY: VTOR is architectural; the caller vouches for the table.
    unsafe { core::ptr::write_volatile(VTOR as *mut u32, address as u32) };
}
