//! What every board crate needs to set the kernel up: `static_kernel!` (the kernel and its
//! process slots as statics) and `attributes` (the kernel attributes block at the end of
//! kernel flash). (`static_init!` is in `cortexm`, out of the capsules' reach.)
//!
//! They live here so the boards (mps2-an386 and the nRF52 boards) do not each carry a copy.
//! The macro expands in the board crate, so the statics it declares are the board binary's;
//! the attributes stay a `#[link_section]` static of the board, built by the `const fn` below.

/// Declares the kernel with `$procs` process slots and the debug anchor
/// (`CAPSULE_DEBUG_ANCHOR`, see `anchor`) as statics, installs the anchor, and evaluates to
/// `&'static Kernel` (the same one each time that expansion runs). Boards use it once, in
/// their binary crate (so the statics are described in the DWARF debuggers read).
#[macro_export]
macro_rules! static_kernel {
    ($procs:expr) => {{
        /// Lets the kernel's objects (which are not `Sync`) be statics.
        struct Single<T>(T);
        // SAFETY: the kernel runs on one core and interrupt handlers never touch these objects
        // (they only mask and pend interrupt lines), so no two contexts access them
        // concurrently.
        unsafe impl<T> Sync for Single<T> {}
        const NO_PROCESS: $crate::process::Process = $crate::process::Process::new();
        static PROCESSES: Single<[$crate::process::Process; $procs]> = Single([NO_PROCESS; $procs]);
        static KERNEL: Single<$crate::Kernel> = Single($crate::Kernel::new(&PROCESSES.0));
        #[no_mangle]
        #[used]
        static CAPSULE_DEBUG_ANCHOR: $crate::anchor::DebugAnchor =
            $crate::anchor::DebugAnchor::new();
        $crate::anchor::install(&CAPSULE_DEBUG_ANCHOR);
        &KERNEL.0
    }};
}

/// TLV type of the kernel flash range.
pub const TLV_KERNEL_FLASH: u16 = 0x0102;
/// TLV type of the app RAM range.
pub const TLV_APP_RAM: u16 = 0x0101;
/// Version of the attributes layout.
pub const ATTRIBUTES_VERSION: u8 = 1;

const fn put_u32(mut a: [u8; 32], at: usize, v: u32) -> [u8; 32] {
    let b = v.to_le_bytes();
    a[at] = b[0];
    a[at + 1] = b[1];
    a[at + 2] = b[2];
    a[at + 3] = b[3];
    a
}

const fn put_tlv(a: [u8; 32], at: usize, kind: u16, start: usize, len: usize) -> [u8; 32] {
    let a = put_u32(a, at, start as u32);
    let a = put_u32(a, at + 4, len as u32);
    put_u32(a, at + 8, kind as u32 | (8 << 16))
}

/// The 32-byte kernel attributes block that ends kernel flash (loaders read it backwards from
/// the sentinel). In address order: the kernel flash TLV (start, length, then its type and
/// length halfwords), the app RAM TLV likewise, the version byte, three reserved bytes and
/// "TOCK"; all words little-endian. Ranges are (start, length).
pub const fn attributes(kernel_flash: (usize, usize), app_ram: (usize, usize)) -> [u8; 32] {
    let a = put_tlv([0; 32], 0, TLV_KERNEL_FLASH, kernel_flash.0, kernel_flash.1);
    let mut a = put_tlv(a, 12, TLV_APP_RAM, app_ram.0, app_ram.1);
    a[24] = ATTRIBUTES_VERSION;
    a[28] = b'T';
    a[29] = b'O';
    a[30] = b'C';
    a[31] = b'K';
    a
}

#[cfg(test)]
mod tests {
    use super::attributes;

    #[test]
    fn attributes_layout() {
        let a = attributes((0, 0x4_0000), (0x2000_8000, 0x1_8000));
        // Kernel flash 0 + 0x40000, then type 0x0102 and length 8.
        assert_eq!(a[..12], [0, 0, 0, 0, 0, 0, 4, 0, 0x02, 0x01, 8, 0]);
        // App RAM 0x20008000 + 0x18000, then type 0x0101 and length 8.
        assert_eq!(
            a[12..24],
            [0, 0x80, 0, 0x20, 0, 0x80, 1, 0, 0x01, 0x01, 8, 0]
        );
        // Version 1, reserved, sentinel.
        assert_eq!(a[24..], [1, 0, 0, 0, b'T', b'O', b'C', b'K']);
    }

    #[test]
    fn static_kernel_has_the_slots() {
        let k: &'static crate::Kernel = crate::static_kernel!(3);
        assert_eq!(k.processes().len(), 3);
    }
}
