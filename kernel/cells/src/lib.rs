//! Interior-mutability cells for a single-threaded, event-driven kernel.
//!
//! The kernel shares `&'static` references between capsules, so state that changes lives in
//! cells. These cells never block and never panic on nested use: a cell that is in use reads
//! as empty, so a re-entrant call becomes a no-op instead of an aliasing violation. That is
//! the ownership discipline of "The Case for Writing a Kernel in Rust" (section 3.2).
//!
//! ```
//! use cells::TakeCell;
//! struct App { count: u32 }
//! let mut app = App { count: 0 };
//! let cell = TakeCell::new(&mut app);
//! cell.map(|a| a.count += 1);
//! assert_eq!(cell.map(|a| a.count), Some(1));
//! ```
#![no_std]
// `map_or(false, ..)` stays: its suggested replacement (`is_some_and`) needs Rust 1.70 and the
// kernel must build with Debian's 1.63.
#![allow(unknown_lints, clippy::unnecessary_map_or)]
// `is_multiple_of` (1.87) and `div_ceil` (1.73) are newer than Debian's 1.63 as well.
#![allow(clippy::manual_is_multiple_of, clippy::manual_div_ceil)]
// Array initialisers `[CONST; N]` of non-Copy cells need a named const on Rust 1.63.
#![allow(clippy::declare_interior_mutable_const)]
#![forbid(unsafe_op_in_unsafe_fn)]

use core::cell::{Cell, UnsafeCell};
use core::ptr::NonNull;

/// Holds an optional `&'a mut T` that can be taken out, used and put back.
///
/// `map` runs its closure only when a value is present; while it runs the cell is empty, so a
/// nested `map` on the same cell does nothing and returns `None`.
pub struct TakeCell<'a, T: 'a + ?Sized> {
    val: Cell<Option<&'a mut T>>,
}

impl<'a, T: ?Sized> TakeCell<'a, T> {
    /// An empty cell.
    pub fn empty() -> Self {
        TakeCell {
            val: Cell::new(None),
        }
    }
    /// A cell holding `value`.
    pub fn new(value: &'a mut T) -> Self {
        TakeCell {
            val: Cell::new(Some(value)),
        }
    }
    /// True when no value is present (or the value is in use).
    pub fn is_none(&self) -> bool {
        let v = self.val.take();
        let none = v.is_none();
        self.val.set(v);
        none
    }
    /// True when a value is present and not in use.
    pub fn is_some(&self) -> bool {
        !self.is_none()
    }
    /// Removes the value, leaving the cell empty.
    pub fn take(&self) -> Option<&'a mut T> {
        self.val.take()
    }
    /// Stores `value`, dropping any previous one.
    pub fn put(&self, value: Option<&'a mut T>) {
        self.val.set(value);
    }
    /// Stores `value` and returns the previous one.
    pub fn replace(&self, value: &'a mut T) -> Option<&'a mut T> {
        self.val.replace(Some(value))
    }
    /// Runs `f` on the value if present; the cell reads empty while `f` runs.
    ///
    /// This is `take`, run `f`, put back, written so that LLVM can fold both cell stores away
    /// when `f` provably never looks at the cell; `map` then costs what an unchecked null test
    /// costs (tests/kernel/takecell-cost.test.ts measures it):
    ///
    /// - the take is split into its read and its write, and the write and the put-back sit in
    ///   a closure whose parameter is the `&mut T`. Rust marks that parameter `noalias`, so after
    ///   inlining LLVM knows `f`'s accesses through it touch neither store: the "in use" store
    ///   is then overwritten unread (dead), and the put-back writes what the read found;
    /// - the read is a typed pointer load (`Option<NonNull<T>>` is `Copy`), not `ptr::read`,
    ///   whose byte copy becomes an integer load plus `inttoptr`, which hides from LLVM that the
    ///   put-back stores the very value that was loaded.
    #[inline]
    pub fn map<F, R>(&self, f: F) -> Option<R>
    where
        F: FnOnce(&mut T) -> R,
    {
        let slot = self.val.as_ptr() as *const Option<NonNull<T>>;
        // SAFETY: `slot` points at the cell's initialised content, and `Option<&mut T>` and
        // `Option<NonNull<T>>` have the same layout (non-null pointer, `None` is null; both are
        // documented layout guarantees of `Option`), so this is a plain copy of the pointer.
        let copy: Option<NonNull<T>> = unsafe { *slot };
        // SAFETY: the pointer came from the `&'a mut T` in the cell, so it is valid and aligned
        // for `'a`. The closure below overwrites the cell with `None` before the new reference is
        // used, and nothing runs in between, so the reference is never usable from two places.
        let maybe: Option<&'a mut T> = copy.map(|p| unsafe { &mut *p.as_ptr() });
        maybe.map(|v| {
            // SAFETY: completes the take: the stale copy in the cell is overwritten, not
            // dropped (an `Option<&mut T>` has no destructor anyway).
            unsafe { core::ptr::write(self.val.as_ptr(), None) };
            let r = f(v);
            self.val.set(Some(v));
            r
        })
    }
    /// Like `map`, with a default when the cell is empty.
    pub fn map_or<F, R>(&self, default: R, f: F) -> R
    where
        F: FnOnce(&mut T) -> R,
    {
        self.map(f).unwrap_or(default)
    }
    /// Like `map`, calling `default` when the cell is empty.
    pub fn map_or_else<D, F, R>(&self, default: D, f: F) -> R
    where
        D: FnOnce() -> R,
        F: FnOnce(&mut T) -> R,
    {
        self.map(f).unwrap_or_else(default)
    }
    /// Runs `f` on the value and flattens its `Option` result.
    pub fn and_then<F, R>(&self, f: F) -> Option<R>
    where
        F: FnOnce(&mut T) -> Option<R>,
    {
        self.map(f).flatten()
    }
    /// Takes the value and gives it to `f` together with ownership (for handing a buffer on).
    pub fn take_map<F, R>(&self, f: F) -> Option<R>
    where
        F: FnOnce(&'a mut T) -> R,
    {
        self.val.take().map(f)
    }
}

impl<'a, T: ?Sized> Default for TakeCell<'a, T> {
    fn default() -> Self {
        Self::empty()
    }
}

/// Owns a `T` by value and lends it out in place. Nested use is refused (returns `None`).
pub struct MapCell<T> {
    val: UnsafeCell<Option<T>>,
    busy: Cell<bool>,
}

impl<T> MapCell<T> {
    /// An empty cell.
    pub const fn empty() -> Self {
        MapCell {
            val: UnsafeCell::new(None),
            busy: Cell::new(false),
        }
    }
    /// A cell holding `value`.
    pub const fn new(value: T) -> Self {
        MapCell {
            val: UnsafeCell::new(Some(value)),
            busy: Cell::new(false),
        }
    }
    /// True when a value is present and not lent out.
    pub fn is_some(&self) -> bool {
        // SAFETY: only reads the discriminant while not lent out; `busy` guards the lending
        // path, and the type is !Sync so no other thread can hold a reference.
        !self.busy.get() && unsafe { (*self.val.get()).is_some() }
    }
    /// True when empty or lent out.
    pub fn is_none(&self) -> bool {
        !self.is_some()
    }
    /// Removes the value (fails while lent out).
    pub fn take(&self) -> Option<T> {
        if self.busy.get() {
            return None;
        }
        // SAFETY: not busy, so no reference into the cell exists; single-threaded (!Sync).
        unsafe { (*self.val.get()).take() }
    }
    /// Stores `value`; refused (value returned) while lent out.
    pub fn replace(&self, value: T) -> Result<Option<T>, T> {
        if self.busy.get() {
            return Err(value);
        }
        // SAFETY: not busy, so no reference into the cell exists; single-threaded (!Sync).
        Ok(unsafe { (*self.val.get()).replace(value) })
    }
    /// Stores `value`, ignoring the refusal case's return.
    pub fn put(&self, value: T) {
        let _ = self.replace(value);
    }
    /// Lends the value to `f` in place; `None` if empty or already lent out.
    pub fn map<F, R>(&self, f: F) -> Option<R>
    where
        F: FnOnce(&mut T) -> R,
    {
        if self.busy.get() {
            return None;
        }
        self.busy.set(true);
        // SAFETY: `busy` is set for the whole borrow, so this is the only live reference;
        // nested calls see `busy` and return before touching the value.
        let r = unsafe { (*self.val.get()).as_mut().map(f) };
        self.busy.set(false);
        r
    }
    /// Like `map`, with a default.
    pub fn map_or<F, R>(&self, default: R, f: F) -> R
    where
        F: FnOnce(&mut T) -> R,
    {
        self.map(f).unwrap_or(default)
    }
}

/// A `Cell<Option<T>>` with convenience methods.
pub struct OptionalCell<T> {
    val: Cell<Option<T>>,
}

impl<T> OptionalCell<T> {
    /// An empty cell.
    pub const fn empty() -> Self {
        OptionalCell {
            val: Cell::new(None),
        }
    }
    /// A cell holding `value`.
    pub const fn new(value: T) -> Self {
        OptionalCell {
            val: Cell::new(Some(value)),
        }
    }
    /// Stores `value`.
    pub fn set(&self, value: T) {
        self.val.set(Some(value));
    }
    /// Stores `value` or clears the cell.
    pub fn insert(&self, value: Option<T>) {
        self.val.set(value);
    }
    /// Stores `value` and returns the previous content.
    pub fn replace(&self, value: T) -> Option<T> {
        self.val.replace(Some(value))
    }
    /// Empties the cell.
    pub fn clear(&self) {
        self.val.set(None);
    }
    /// Removes and returns the content.
    pub fn take(&self) -> Option<T> {
        self.val.take()
    }
    /// True when a value is present.
    pub fn is_some(&self) -> bool {
        let v = self.val.take();
        let r = v.is_some();
        self.val.set(v);
        r
    }
    /// True when empty.
    pub fn is_none(&self) -> bool {
        !self.is_some()
    }
}

impl<T: Copy> OptionalCell<T> {
    /// A copy of the content.
    pub fn get(&self) -> Option<T> {
        self.val.get()
    }
    /// True when the content equals `value`.
    pub fn contains(&self, value: &T) -> bool
    where
        T: PartialEq,
    {
        self.val.get().map_or(false, |v| v == *value)
    }
    /// Runs `f` on a copy of the content.
    pub fn map<F, R>(&self, f: F) -> Option<R>
    where
        F: FnOnce(T) -> R,
    {
        self.val.get().map(f)
    }
    /// Like `map`, with a default.
    pub fn map_or<F, R>(&self, default: R, f: F) -> R
    where
        F: FnOnce(T) -> R,
    {
        self.val.get().map_or(default, f)
    }
    /// Runs `f` on a copy and flattens the result.
    pub fn and_then<F, R>(&self, f: F) -> Option<R>
    where
        F: FnOnce(T) -> Option<R>,
    {
        self.val.get().and_then(f)
    }
    /// The content, or `default`.
    pub fn unwrap_or(&self, default: T) -> T {
        self.val.get().unwrap_or(default)
    }
}

/// Arithmetic on numeric `Cell`s without a get/set pair at every call site.
pub trait NumericCellExt<T> {
    /// Adds `v` (wrapping).
    fn add(&self, v: T);
    /// Subtracts `v` (wrapping).
    fn subtract(&self, v: T);
    /// Adds one (wrapping).
    fn increment(&self);
    /// Subtracts one (wrapping).
    fn decrement(&self);
    /// Returns the value, then adds one.
    fn get_and_increment(&self) -> T;
}

macro_rules! numeric_cell {
    ($($t:ty),*) => {$(
        impl NumericCellExt<$t> for Cell<$t> {
            fn add(&self, v: $t) { self.set(self.get().wrapping_add(v)); }
            fn subtract(&self, v: $t) { self.set(self.get().wrapping_sub(v)); }
            fn increment(&self) { self.add(1); }
            fn decrement(&self) { self.subtract(1); }
            fn get_and_increment(&self) -> $t { let v = self.get(); self.increment(); v }
        }
    )*};
}
numeric_cell!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

/// A `Cell` that a `static` may hold on a single-core target.
///
/// The kernel runs its capsules on one thread; interrupt handlers never touch these cells
/// (they only mask and pend the interrupt). This wrapper records that reasoning in one place.
pub struct StaticCell<T> {
    inner: Cell<T>,
}

// SAFETY: the kernel is single-core and interrupt handlers do not access a StaticCell, so no
// two contexts ever access the same cell concurrently.
unsafe impl<T> Sync for StaticCell<T> {}

impl<T: Copy> StaticCell<T> {
    /// A cell holding `v`.
    pub const fn new(v: T) -> Self {
        StaticCell {
            inner: Cell::new(v),
        }
    }
    /// The value.
    pub fn get(&self) -> T {
        self.inner.get()
    }
    /// Stores `v`.
    pub fn set(&self, v: T) {
        self.inner.set(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct App {
        count: u32,
    }

    #[test]
    fn takecell_map_runs_when_present() {
        let mut app = App { count: 0 };
        let cell = TakeCell::new(&mut app);
        assert_eq!(
            cell.map(|a| {
                a.count += 1;
                a.count
            }),
            Some(1)
        );
        assert!(cell.is_some());
    }

    #[test]
    fn takecell_map_is_noop_when_empty() {
        let cell: TakeCell<App> = TakeCell::empty();
        let mut ran = false;
        assert_eq!(cell.map(|_| ran = true), None);
        assert!(!ran);
        assert_eq!(cell.map_or(7, |a| a.count), 7);
    }

    #[test]
    fn takecell_nested_map_is_noop() {
        let mut app = App { count: 0 };
        let cell = TakeCell::new(&mut app);
        let inner = cell.map(|a| {
            a.count += 1;
            assert!(cell.is_none(), "cell reads empty while in use");
            cell.map(|b| b.count += 100)
        });
        assert_eq!(inner, Some(None));
        assert_eq!(cell.map(|a| a.count), Some(1));
    }

    #[test]
    fn takecell_map_lends_unsized_and_restores() {
        let mut buf = [1u8, 2, 3];
        let cell = TakeCell::new(&mut buf[..]);
        let r = cell.map(|s| {
            s[0] = 7;
            assert!(cell.take().is_none(), "take inside map sees the cell empty");
            s.len()
        });
        assert_eq!(r, Some(3));
        assert_eq!(cell.map(|s| (s[0], s.len())), Some((7, 3)));
    }

    #[test]
    fn takecell_take_put_replace() {
        let mut a = [1u8, 2, 3];
        let mut b = [9u8];
        let cell = TakeCell::new(&mut a[..]);
        let taken = cell.take().unwrap();
        assert!(cell.is_none());
        assert_eq!(taken.len(), 3);
        cell.put(Some(taken));
        let old = cell.replace(&mut b[..]).unwrap();
        assert_eq!(old[0], 1);
        assert_eq!(cell.map(|x| x[0]), Some(9));
        assert_eq!(cell.and_then(|x| x.first().copied()), Some(9));
        assert_eq!(cell.take_map(|x| x.len()), Some(1));
        assert!(cell.is_none());
    }

    #[test]
    fn mapcell_refuses_nested_use() {
        let cell = MapCell::new(5u32);
        let r = cell.map(|v| {
            *v += 1;
            assert!(cell.is_none());
            assert!(cell.take().is_none());
            assert!(cell.replace(1).is_err());
            cell.map(|w| *w += 10)
        });
        assert_eq!(r, Some(None));
        assert_eq!(cell.map(|v| *v), Some(6));
        assert_eq!(cell.take(), Some(6));
        assert!(cell.is_none());
        assert_eq!(cell.map(|v| *v), None);
        cell.put(3);
        assert_eq!(cell.map_or(0, |v| *v), 3);
    }

    #[test]
    fn optionalcell_basics() {
        let c = OptionalCell::empty();
        assert!(c.is_none());
        c.set(4u32);
        assert!(c.contains(&4));
        assert_eq!(c.map(|v| v * 2), Some(8));
        assert_eq!(c.replace(5), Some(4));
        assert_eq!(c.get(), Some(5));
        assert_eq!(c.and_then(|v| if v > 4 { Some(v) } else { None }), Some(5));
        c.clear();
        assert_eq!(c.unwrap_or(1), 1);
        c.insert(Some(2));
        assert_eq!(c.take(), Some(2));
        assert_eq!(c.map_or(0, |v| v), 0);
    }

    #[test]
    fn numeric_cells() {
        let c = Cell::new(250u8);
        c.add(10);
        assert_eq!(c.get(), 4);
        c.subtract(5);
        assert_eq!(c.get(), 255);
        c.increment();
        assert_eq!(c.get(), 0);
        c.decrement();
        assert_eq!(c.get(), 255);
        let d = Cell::new(7usize);
        assert_eq!(d.get_and_increment(), 7);
        assert_eq!(d.get(), 8);
    }
}
