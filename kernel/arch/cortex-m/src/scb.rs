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
