//! Typed memory-mapped registers: register blocks with checked offsets, named bitfields.
//!
//! Drivers describe a peripheral once: a `register_block!` lists every register at its offset
//! (reserved gaps spelled out, an `@END` marker giving the block's size) and the macro proves
//! at compile time that the offsets and the field types agree. `bitfields!` names each field
//! of a register with its bit offset and width, so driver code reads `ctrl.modify(TX_ENABLE.set())`
//! instead of `*ctrl |= 1`.
//!
//! ```
//! use registers::{bitfields, register_block, ReadWrite, ReadOnly};
//! bitfields! {
//!     /// Control register.
//!     pub mod Ctrl {
//!         /// Turns the block on.
//!         ENABLE: 0, 1;
//!         /// Clock divider.
//!         DIV: 4, 4;
//!     }
//! }
//! register_block! {
//!     /// A made-up peripheral.
//!     pub Regs {
//!         (0x00 => ctrl: ReadWrite<u32, Ctrl::Register>),
//!         (0x04 => _reserved0: [u32; 2]),
//!         (0x0c => id: ReadOnly<u32>),
//!         @END = 0x10,
//!     }
//! }
//! ```
#![no_std]
// `map_or(false, ..)` stays: its suggested replacement (`is_some_and`) needs Rust 1.70 and the
// kernel must build with Debian's 1.63.
#![allow(unknown_lints, clippy::unnecessary_map_or)]
// `is_multiple_of` (1.87) and `div_ceil` (1.73) are newer than Debian's 1.63 as well.
#![allow(clippy::manual_is_multiple_of, clippy::manual_div_ceil)]
// Array initialisers `[CONST; N]` of non-Copy cells need a named const on Rust 1.63.
#![allow(clippy::declare_interior_mutable_const)]
#![deny(unsafe_op_in_unsafe_fn)]

use core::cell::UnsafeCell;
use core::marker::PhantomData;

/// A field of a register `R`: `width` bits starting at bit `shift`.
pub struct Field<R> {
    mask: u32,
    shift: u32,
    _r: PhantomData<R>,
}

impl<R> Clone for Field<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Field<R> {}

impl<R> Field<R> {
    /// A field `width` bits wide starting at bit `shift` (checked at compile time when const).
    pub const fn new(shift: u32, width: u32) -> Self {
        assert!(
            width >= 1 && shift + width <= 32,
            "bitfield outside a 32-bit register"
        );
        let mask = if width == 32 {
            u32::MAX
        } else {
            (1u32 << width) - 1
        };
        Field {
            mask,
            shift,
            _r: PhantomData,
        }
    }
    /// The field set to `value` (extra high bits are dropped).
    pub const fn val(self, value: u32) -> FieldValue<R> {
        FieldValue {
            mask: self.mask << self.shift,
            value: (value & self.mask) << self.shift,
            _r: PhantomData,
        }
    }
    /// All bits of the field set.
    pub const fn set(self) -> FieldValue<R> {
        self.val(u32::MAX)
    }
    /// All bits of the field cleared.
    pub const fn clear(self) -> FieldValue<R> {
        self.val(0)
    }
    /// Extracts this field from a raw register value.
    pub const fn read(self, raw: u32) -> u32 {
        (raw >> self.shift) & self.mask
    }
}

/// One or more fields of register `R` with the values to give them.
pub struct FieldValue<R> {
    mask: u32,
    value: u32,
    _r: PhantomData<R>,
}

impl<R> Clone for FieldValue<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for FieldValue<R> {}

impl<R> FieldValue<R> {
    /// The raw value these fields give when written over zero.
    pub const fn value(self) -> u32 {
        self.value
    }
    /// The bits these fields cover.
    pub const fn mask(self) -> u32 {
        self.mask
    }
    /// `raw` with these fields replaced.
    pub const fn modify(self, raw: u32) -> u32 {
        (raw & !self.mask) | self.value
    }
}

impl<R> core::ops::Add for FieldValue<R> {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        FieldValue {
            mask: self.mask | o.mask,
            value: (self.value & !o.mask) | o.value,
            _r: PhantomData,
        }
    }
}

/// Marker for registers without named fields.
pub struct NoFields;

/// A register software reads and writes.
#[repr(transparent)]
pub struct ReadWrite<T: Copy, R = NoFields> {
    value: UnsafeCell<T>,
    _r: PhantomData<R>,
}

/// A register software only reads.
#[repr(transparent)]
pub struct ReadOnly<T: Copy, R = NoFields> {
    value: UnsafeCell<T>,
    _r: PhantomData<R>,
}

/// A register software only writes (reads are meaningless or have side effects).
#[repr(transparent)]
pub struct WriteOnly<T: Copy, R = NoFields> {
    value: UnsafeCell<T>,
    _r: PhantomData<R>,
}

impl<R> ReadWrite<u32, R> {
    /// Reads the raw value.
    #[inline]
    pub fn get(&self) -> u32 {
        // SAFETY: a register block is only ever created over its peripheral's MMIO range
        // (see `StaticRef::new`), so this address is a valid, aligned device register.
        unsafe { core::ptr::read_volatile(self.value.get()) }
    }
    /// Writes the raw value.
    #[inline]
    pub fn set(&self, v: u32) {
        // SAFETY: as in `get`; device registers tolerate any write width-correct value.
        unsafe { core::ptr::write_volatile(self.value.get(), v) }
    }
    /// Reads one field.
    #[inline]
    pub fn read(&self, f: Field<R>) -> u32 {
        f.read(self.get())
    }
    /// True when any bit of the field is set.
    #[inline]
    pub fn is_set(&self, f: Field<R>) -> bool {
        self.read(f) != 0
    }
    /// Writes these fields, all other bits zero.
    #[inline]
    pub fn write(&self, v: FieldValue<R>) {
        self.set(v.value())
    }
    /// Read-modify-write of these fields, other bits kept.
    #[inline]
    pub fn modify(&self, v: FieldValue<R>) {
        self.set(v.modify(self.get()))
    }
}

impl<R> ReadOnly<u32, R> {
    /// Reads the raw value.
    #[inline]
    pub fn get(&self) -> u32 {
        // SAFETY: see `ReadWrite::get`.
        unsafe { core::ptr::read_volatile(self.value.get()) }
    }
    /// Reads one field.
    #[inline]
    pub fn read(&self, f: Field<R>) -> u32 {
        f.read(self.get())
    }
    /// True when any bit of the field is set.
    #[inline]
    pub fn is_set(&self, f: Field<R>) -> bool {
        self.read(f) != 0
    }
}

impl<R> WriteOnly<u32, R> {
    /// Writes the raw value.
    #[inline]
    pub fn set(&self, v: u32) {
        // SAFETY: see `ReadWrite::get`.
        unsafe { core::ptr::write_volatile(self.value.get(), v) }
    }
    /// Writes these fields, all other bits zero.
    #[inline]
    pub fn write(&self, v: FieldValue<R>) {
        self.set(v.value())
    }
}

/// A `&'static` reference to a register block at a fixed address.
pub struct StaticRef<T> {
    ptr: *const T,
}

impl<T> StaticRef<T> {
    /// Wraps the block at `base`.
    ///
    /// # Safety
    /// `base` must be the address of a device (or memory) region laid out as `T` that stays
    /// valid for the whole program, and only volatile register accesses may be made through it.
    pub const unsafe fn new(base: usize) -> Self {
        StaticRef {
            ptr: base as *const T,
        }
    }
}

impl<T> Clone for StaticRef<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for StaticRef<T> {}

impl<T> core::ops::Deref for StaticRef<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: `new`'s contract: the pointer names a valid `T` for the whole program.
        unsafe { &*self.ptr }
    }
}

/// Declares named bitfields of one register as a module holding a `Register` marker type.
#[macro_export]
macro_rules! bitfields {
    ($(#[$attr:meta])* $vis:vis mod $name:ident { $( $(#[$fattr:meta])* $field:ident : $shift:expr, $width:expr; )* }) => {
        $(#[$attr])*
        #[allow(non_snake_case)]
        $vis mod $name {
            /// Marker type naming this register.
            pub struct Register;
            $( $(#[$fattr])* pub const $field: $crate::Field<Register> = $crate::Field::new($shift, $width); )*
        }
    };
}

/// Declares a `#[repr(C)]` register block and proves its offsets at compile time.
#[macro_export]
macro_rules! register_block {
    ($(#[$attr:meta])* $vis:vis $name:ident { $( ($off:expr => $field:ident : $ty:ty) ),+ , @END = $end:expr $(,)? }) => {
        $(#[$attr])*
        #[repr(C)]
        $vis struct $name { $( pub $field: $ty ),+ }
        const _: () = {
            $crate::__register_offsets!($( ($off, $ty) ),+ ; $end);
            assert!(core::mem::size_of::<$name>() == $end, "register block size differs from @END");
        };
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __register_offsets {
    (($o1:expr, $t1:ty), ($o2:expr, $t2:ty) $(, $rest:tt)* ; $end:expr) => {
        assert!($o1 + core::mem::size_of::<$t1>() == $o2, "register offsets do not match field sizes");
        $crate::__register_offsets!(($o2, $t2) $(, $rest)* ; $end);
    };
    (($o1:expr, $t1:ty) ; $end:expr) => {
        assert!($o1 + core::mem::size_of::<$t1>() == $end, "last register does not end at @END");
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    bitfields! {
        /// Test register.
        pub mod Ctrl {
            /// Bit 0.
            EN: 0, 1;
            /// Bits 4..8.
            DIV: 4, 4;
            /// Whole word.
            ALL: 0, 32;
        }
    }

    register_block! {
        /// Test block.
        pub Regs {
            (0x00 => ctrl: ReadWrite<u32, Ctrl::Register>),
            (0x04 => _reserved: [u32; 2]),
            (0x0c => id: ReadOnly<u32>),
            (0x10 => go: WriteOnly<u32>),
            @END = 0x14,
        }
    }

    #[test]
    fn fields_compose() {
        let v = Ctrl::EN.set() + Ctrl::DIV.val(0x1f);
        assert_eq!(v.value(), 0xf1);
        assert_eq!(v.mask(), 0xf1);
        assert_eq!(Ctrl::DIV.clear().modify(0xffff), 0xff0f);
        assert_eq!(Ctrl::DIV.read(0x0a50), 5);
        assert_eq!(Ctrl::ALL.val(0xdead_beef).value(), 0xdead_beef);
    }

    #[test]
    fn block_access_on_memory() {
        let mut mem = [0u32; 5];
        mem[3] = 0x1234;
        // SAFETY: `mem` outlives every use of `regs` below and is laid out as `Regs`.
        let regs: StaticRef<Regs> = unsafe { StaticRef::new(mem.as_mut_ptr() as usize) };
        regs.ctrl.write(Ctrl::DIV.val(3));
        regs.ctrl.modify(Ctrl::EN.set());
        assert_eq!(regs.ctrl.get(), 0x31);
        assert!(regs.ctrl.is_set(Ctrl::EN));
        assert_eq!(regs.ctrl.read(Ctrl::DIV), 3);
        assert_eq!(regs.id.get(), 0x1234);
        regs.go.set(7);
        assert_eq!(mem[4], 7);
        assert_eq!(core::mem::size_of::<Regs>(), 0x14);
    }
}
