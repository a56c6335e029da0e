//! The register check both sysbench apps spin with (included by each binary).
//!
//! `spin_and_check(base)` loads r4-r11 with `base`, `base + 0x11111111`, ..., `base +
//! 0x77777777`, counts `SPIN` down (about 2.5 M cycles, a few 10 ms timeslices at 64 MHz) and
//! returns the OR of each register XOR its value: 0 when all eight survived whatever context
//! switches happened meanwhile. The two apps use different bases, so a switch that resumed
//! one with the other's r4-r11 (or with none restored) shows as a non-zero result.

/// Count-down of one spin.
pub const SPIN: u32 = 1_000_000;

/// See the module doc.
#[cfg(target_arch = "arm")]
pub fn spin_and_check(base: u32) -> u32 {
    let changed: u32;
    // SAFETY: registers only, and this process's own stack: r4-r11 are pushed first and popped
    // last (r7, the frame pointer, and r9 included), so the compiler's values in them survive;
    // r0-r3 are declared.
    unsafe {
        core::arch::asm!(
            "push {{r4-r11}}",
            "mov r4, r2",
            "add.w r5, r2, #0x11111111",
            "add.w r6, r2, #0x22222222",
            "add.w r7, r2, #0x33333333",
            "add.w r8, r2, #0x44444444",
            "add.w r9, r2, #0x55555555",
            "add.w r10, r2, #0x66666666",
            "add.w r11, r2, #0x77777777",
            "2:",
            "subs r0, r0, #1",
            "bne 2b",
            "eor r1, r4, r2",
            "add.w r3, r2, #0x11111111",
            "eors r3, r3, r5",
            "orrs r1, r1, r3",
            "add.w r3, r2, #0x22222222",
            "eors r3, r3, r6",
            "orrs r1, r1, r3",
            "add.w r3, r2, #0x33333333",
            "eors r3, r3, r7",
            "orrs r1, r1, r3",
            "add.w r3, r2, #0x44444444",
            "eor r3, r3, r8",
            "orrs r1, r1, r3",
            "add.w r3, r2, #0x55555555",
            "eor r3, r3, r9",
            "orrs r1, r1, r3",
            "add.w r3, r2, #0x66666666",
            "eor r3, r3, r10",
            "orrs r1, r1, r3",
            "add.w r3, r2, #0x77777777",
            "eor r3, r3, r11",
            "orrs r1, r1, r3",
            "pop {{r4-r11}}",
            inout("r0") SPIN => _,
            out("r1") changed,
            in("r2") base,
            out("r3") _,
        );
    }
    changed
}

/// Host builds (the workspace's checks) never run apps.
#[cfg(not(target_arch = "arm"))]
pub fn spin_and_check(_base: u32) -> u32 {
    0
}
