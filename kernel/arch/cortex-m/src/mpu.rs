//! PMSAv7 memory protection: one region for a process's flash, one for its RAM.
//!
//! A PMSAv7 region is a power of two in size (at least 32 bytes), aligned to its size, and
//! split into eight subregions that can be disabled one by one. `cover` finds the smallest
//! region whose enabled subregions cover `[start, end)` exactly from `start` and end at or
//! above `end` without crossing `limit`: the rounded-up end becomes the process's real
//! break. The kernel's own memory is never in a region: with PRIVDEFENA the kernel uses the
//! default map and the process can reach only what the two regions allow.

use cells::StaticCell;
use kernel::platform::{Mpu, MpuConfig, MpuError};
use registers::{bitfields, register_block, ReadOnly, ReadWrite, StaticRef};

bitfields! {
    /// MPU control.
    pub mod Ctrl {
        /// MPU on.
        ENABLE: 0, 1;
        /// MPU also during HardFault/NMI.
        HFNMIENA: 1, 1;
        /// Privileged code uses the default map where no region matches.
        PRIVDEFENA: 2, 1;
    }
}

bitfields! {
    /// Region base address.
    pub mod Rbar {
        /// Region number (used when VALID).
        REGION: 0, 4;
        /// Write REGION together with the address.
        VALID: 4, 1;
        /// Base address bits 31:5.
        ADDR: 5, 27;
    }
}

bitfields! {
    /// Region attributes and size.
    pub mod Rasr {
        /// Region on.
        ENABLE: 0, 1;
        /// Size: 2^(SIZE+1) bytes.
        SIZE: 1, 5;
        /// Subregion disable bits.
        SRD: 8, 8;
        /// Bufferable.
        B: 16, 1;
        /// Cacheable.
        C: 17, 1;
        /// Shareable.
        S: 18, 1;
        /// Type extension.
        TEX: 19, 3;
        /// Access permissions.
        AP: 24, 3;
        /// Execute never.
        XN: 28, 1;
    }
}

/// AP value: read-write for privileged and unprivileged code.
pub const AP_FULL: u32 = 0b011;
/// AP value: read-only for both.
pub const AP_READ_ONLY: u32 = 0b110;

register_block! {
    /// MPU registers (0xE000ED90).
    pub MpuRegisters {
        (0x00 => mpu_type: ReadOnly<u32>),
        (0x04 => ctrl: ReadWrite<u32, Ctrl::Register>),
        (0x08 => rnr: ReadWrite<u32>),
        (0x0c => rbar: ReadWrite<u32, Rbar::Register>),
        (0x10 => rasr: ReadWrite<u32, Rasr::Register>),
        @END = 0x14,
    }
}

/// One computed region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// Base (aligned to the size).
    pub base: usize,
    /// log2 of the size.
    pub size_log2: u32,
    /// Subregion-disable mask.
    pub srd: u8,
    /// End of the enabled part.
    pub end: usize,
}

/// The smallest region covering `[start, end)` from exactly `start`, ending at most at
/// `limit`. `None` when no PMSAv7 region can (start too poorly aligned, or rounding would
/// cross `limit`).
pub fn cover(start: usize, end: usize, limit: usize) -> Option<Region> {
    if end <= start {
        return None;
    }
    for size_log2 in 8u32..=32 {
        let size = 1u64 << size_log2;
        let sub = (size / 8) as usize;
        if start % sub != 0 {
            return None;
        }
        let base = (start as u64 & !(size - 1)) as usize;
        let rounded = (end as u64 + sub as u64 - 1) / sub as u64 * sub as u64;
        if rounded > base as u64 + size {
            continue;
        }
        if rounded > limit as u64 {
            return None;
        }
        let first = (start - base) / sub;
        let last = ((rounded - base as u64) / sub as u64) as usize;
        let mut srd = 0u8;
        for i in 0..8 {
            if i < first || i >= last {
                srd |= 1 << i;
            }
        }
        return Some(Region {
            base,
            size_log2,
            srd,
            end: rounded as usize,
        });
    }
    None
}

fn rasr(r: &Region, ap: u32, xn: bool) -> u32 {
    (Rasr::ENABLE.set()
        + Rasr::SIZE.val(r.size_log2 - 1)
        + Rasr::SRD.val(r.srd as u32)
        + Rasr::AP.val(ap)
        + Rasr::XN.val(xn as u32)
        + Rasr::C.set()
        + Rasr::S.set())
    .value()
}

fn rbar(r: &Region, number: u32) -> u32 {
    (Rbar::ADDR.val((r.base >> 5) as u32) + Rbar::VALID.set() + Rbar::REGION.val(number)).value()
}

/// The Cortex-M MPU (the registers at the architectural address; what they hold is cached
/// in `LOADED`).
pub struct CortexMpu;

impl CortexMpu {
    /// The MPU at the architectural address.
    pub const fn new() -> Self {
        CortexMpu
    }
}

impl Default for CortexMpu {
    fn default() -> Self {
        Self::new()
    }
}

/// The register values for a process (pure arithmetic, used by `Mpu::compute`).
pub fn compute_config(
    flash: (usize, usize),
    ram_start: usize,
    app_break: usize,
    limit: usize,
) -> Result<(MpuConfig, usize), MpuError> {
    let mut cfg = MpuConfig::default();
    let f = cover(flash.0, flash.0 + flash.1, usize::MAX).ok_or(MpuError::CannotCover {
        start: flash.0,
        end: flash.0 + flash.1,
        limit: usize::MAX,
    })?;
    cfg.regions[0] = (rbar(&f, 0), rasr(&f, AP_READ_ONLY, false));
    if app_break <= ram_start {
        cfg.regions[1] = ((Rbar::VALID.set() + Rbar::REGION.val(1)).value(), 0);
        return Ok((cfg, ram_start));
    }
    let r = cover(ram_start, app_break, limit).ok_or(MpuError::CannotCover {
        start: ram_start,
        end: app_break,
        limit,
    })?;
    cfg.regions[1] = (rbar(&r, 1), rasr(&r, AP_FULL, true));
    Ok((cfg, r.end))
}

impl Mpu for CortexMpu {
    fn compute(
        &self,
        flash: (usize, usize),
        ram_start: usize,
        app_break: usize,
        limit: usize,
    ) -> Result<(MpuConfig, usize), MpuError> {
        compute_config(flash, ram_start, app_break, limit)
    }
    fn configure(&self, config: &MpuConfig) {
        load(config);
    }
}

/// The configuration the MPU registers hold (all zero before the first `load`: a computed
/// configuration's RBAR values always carry VALID): switching back to the process the MPU is
/// already set up for writes nothing. Only `load` and `load_switch` write the regions
/// (through `CortexMpu::configure` or the SysTick handler's switch), so this is always what
/// the registers hold. One MPU per core, so one static.
static LOADED: StaticCell<MpuConfig> = StaticCell::new(MpuConfig {
    regions: [(0, 0); 2],
});

/// The architectural PMSAv7 MPU block.
// SAFETY: 0xE000ED90 is the architectural PMSAv7 MPU base on ARMv7-M.
const MPU: StaticRef<MpuRegisters> = unsafe { StaticRef::new(0xE000_ED90) };
/// MPU_RBAR (0xE000ED90 + 0x0C), followed by MPU_RASR and the aliases RBAR_A1..RASR_A3.
#[cfg(target_arch = "arm")]
const RBAR_ADDR: u32 = 0xE000_ED9C;

/// Loads a process's regions into the MPU (nothing when it already holds them).
#[inline(always)]
pub fn load(config: &MpuConfig) {
    // The same process again (a system call answered, a timeslice continued): the regions
    // are already these, and rewriting them costs four writes on every return to the process.
    let [(b0, a0), (b1, a1)] = config.regions;
    let [(l0, m0), (l1, m1)] = LOADED.get().regions;
    if l0 == 0 {
        LOADED.set(*config);
        first_load(config);
        return;
    }
    if (b0, a0, b1, a1) == (l0, m0, l1, m1) {
        return;
    }
    // Another process: only the two RBAR/RASR pairs are written (RBAR with VALID selects the
    // region it names). The MPU stays on, and the regions stay enabled while they are
    // rewritten: every in-between state is a flash region (read-only, in flash) or a RAM
    // region (read-write, execute-never, in RAM), neither of which refuses the kernel anything
    // it does (privileged, the default map elsewhere by PRIVDEFENA). No barrier: the kernel
    // writes the regions through the PPB (strongly ordered) and the process runs only after an
    // exception return (the handler-mode switch) or an exception entry and return (`svc` in
    // the kernel thread's switch), which act as the barriers (Cortex-M4 Devices Generic User
    // Guide, ARM DUI 0553A, 4.5.8 "Updating an MPU region"). The MPU is turned on once, at the
    // first configuration.
    load_switch(*config);
}

/// Loads another process's regions into the MPU once it has been configured (the SysTick
/// handler's switch, whose two processes differ: no comparison with what it holds): the two
/// RBAR/RASR pairs, as `load` explains, in one store-multiple.
///
/// MPU_RBAR, MPU_RASR, MPU_RBAR_A1 and MPU_RASR_A1 are four consecutive words from
/// 0xE000ED9C; an alias reads and writes the register it aliases, and an RBAR write with VALID
/// set selects the region it names before the RASR write that follows (ARMv7-M ARM B3.5.4,
/// table B3-11, B3.5.9 "MPU Region Base Address Register"): one STM of the configuration's
/// four words (RBAR 0, RASR 0, RBAR 1, RASR 1) loads both regions.
#[inline(always)]
pub fn load_switch(config: MpuConfig) {
    LOADED.set(config);
    let [(b0, a0), (b1, a1)] = config.regions;
    #[cfg(target_arch = "arm")]
    // SAFETY: four word stores to the architectural MPU registers (RBAR, RASR and their first
    // aliases), the same writes as four `set`s through `MPU`: they change only the process
    // regions, which the kernel (privileged, default map) does not depend on.
    unsafe {
        core::arch::asm!(
            "stm {base}, {{r0, r1, r2, r3}}",
            base = in(reg) RBAR_ADDR,
            in("r0") b0,
            in("r1") a0,
            in("r2") b1,
            in("r3") a1,
            options(nostack, preserves_flags)
        );
    }
    #[cfg(not(target_arch = "arm"))]
    {
        MPU.rbar.set(b0);
        MPU.rasr.set(a0);
        MPU.rbar.set(b1);
        MPU.rasr.set(a1);
    }
}

/// The first configuration: MPU off, the regions, then on with the default map for
/// privileged code.
#[cold]
#[inline(never)]
fn first_load(config: &MpuConfig) {
    MPU.ctrl.set(0);
    for (rb, ra) in config.regions.iter() {
        MPU.rbar.set(*rb);
        MPU.rasr.set(*ra);
    }
    MPU.ctrl.write(Ctrl::ENABLE.set() + Ctrl::PRIVDEFENA.set());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_aligned_blocks_exactly() {
        let r = cover(0x2000_8000, 0x2000_a000, 0x2000_a400).unwrap();
        assert_eq!(r.base, 0x2000_8000);
        assert_eq!(r.size_log2, 13);
        assert_eq!(r.end, 0x2000_a000);
        assert_eq!(r.srd, 0);
        let r = cover(0x2000_8000, 0x2000_9000, 0x2000_a400).unwrap();
        assert_eq!((r.size_log2, r.srd), (12, 0));
    }

    #[test]
    fn rounds_up_to_subregions() {
        let r = cover(0x2000_8000, 0x2000_8801, 0x2000_9000).unwrap();
        assert_eq!(r.end, 0x2000_8a00);
        assert!(cover(0x2000_8000, 0x2000_8801, 0x2000_8900).is_none());
    }

    #[test]
    fn start_in_middle_of_region() {
        let r = cover(0x2000_9000, 0x2000_b000, usize::MAX).unwrap();
        assert_eq!(r.base, 0x2000_8000);
        assert_eq!(r.size_log2, 14);
        assert_eq!(r.srd, 0b1100_0011);
    }

    #[test]
    fn refuses_unaligned_start() {
        assert!(cover(0x2000_8010, 0x2000_9000, usize::MAX).is_none());
        assert!(cover(0x100, 0x100, usize::MAX).is_none());
    }

    #[test]
    fn config_registers() {
        let (cfg, brk) =
            compute_config((0x40000, 0x800), 0x2000_8000, 0x2000_8800, 0x2000_9000).unwrap();
        assert_eq!(brk, 0x2000_8800);
        assert_eq!(cfg.regions[0].0, 0x40000 | 0x10);
        assert_eq!(cfg.regions[0].1 & 1, 1);
        assert_eq!((cfg.regions[1].1 >> 24) & 7, AP_FULL);
        assert_eq!((cfg.regions[1].1 >> 28) & 1, 1);
    }
}
