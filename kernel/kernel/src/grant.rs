//! Grants: per-process kernel memory carved from the top of the process's own RAM.
//!
//! A capsule that keeps state for each process declares a `Grant<T>`. The first time it
//! enters the grant for a process, the kernel allocates a `T` just below that process's
//! kernel break. Running out of room fails only that process's request (NOMEM); the kernel's
//! own memory is never used, so one process cannot starve the others.
//!
//! ```
//! use kernel::grant::carve;
//! // RAM block 0x1000..0x2000, app break at 0x1800: allocate 24 bytes aligned to 8.
//! assert_eq!(carve(0x2000, 0x1800, 24, 8), Some(0x1fe8));
//! assert_eq!(carve(0x1810, 0x1800, 24, 8), None);
//! ```

use crate::process::ProcessId;
use crate::ErrorCode;
use crate::Kernel;
use core::marker::PhantomData;

/// The new kernel break after allocating `size` bytes aligned to `align` below `kernel_break`,
/// or `None` if that would cross `app_break`.
pub fn carve(kernel_break: usize, app_break: usize, size: usize, align: usize) -> Option<usize> {
    let align = align.max(1);
    let start = kernel_break.checked_sub(size)? & !(align - 1);
    if start < app_break {
        None
    } else {
        Some(start)
    }
}

/// Per-process state of type `T` for one capsule.
pub struct Grant<T: Default + 'static> {
    kernel: &'static Kernel,
    number: usize,
    _t: PhantomData<T>,
}

impl<T: Default + 'static> Grant<T> {
    /// Used by `Kernel::create_grant`.
    pub(crate) fn new(kernel: &'static Kernel, number: usize) -> Self {
        Grant {
            kernel,
            number,
            _t: PhantomData,
        }
    }

    /// Runs `f` on this process's `T`, allocating it on first use. Fails with NOMEM when the
    /// process has no room, ALREADY when this grant is already entered for the process, and
    /// INVALID when the process no longer exists.
    pub fn enter<R, F: FnOnce(&mut T) -> R>(&self, pid: ProcessId, f: F) -> Result<R, ErrorCode> {
        let p = self.kernel.process(pid).ok_or(ErrorCode::Invalid)?;
        let ptr = p.grant_pointer(
            self.number,
            core::mem::size_of::<T>(),
            core::mem::align_of::<T>(),
            |addr| {
                // SAFETY: `addr` is a fresh, suitably aligned allocation inside the process's grant
                // region that no one else references; writing a `T` there initialises it.
                unsafe { core::ptr::write(addr as *mut T, T::default()) }
            },
        )?;
        if !p.grant_try_enter(self.number) {
            return Err(ErrorCode::Already);
        }
        // SAFETY: `ptr` points at an initialised `T` in this process's grant region, which the
        // MPU hides from the process and which is only freed when the process restarts (never
        // while entered); the entered flag rules out a second `&mut` to it.
        let r = f(unsafe { &mut *(ptr as *mut T) });
        p.grant_leave(self.number);
        Ok(r)
    }

    /// Runs `f` for every process that has allocated this grant.
    pub fn each<F: FnMut(ProcessId, &mut T)>(&self, mut f: F) {
        for p in self.kernel.processes() {
            if let Some(pid) = p.id() {
                if p.has_grant(self.number) {
                    let _ = self.enter(pid, |t| f(pid, t));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::carve;
    #[test]
    fn carve_from_top_and_fail_cleanly() {
        assert_eq!(carve(0x2000, 0x1000, 16, 4), Some(0x1ff0));
        assert_eq!(carve(0x1ff0, 0x1000, 3, 4), Some(0x1fec));
        assert_eq!(carve(0x1003, 0x1000, 4, 1), None);
        assert_eq!(carve(0x1004, 0x1000, 4, 1), Some(0x1000));
        assert_eq!(carve(8, 0, 16, 4), None);
        assert_eq!(carve(0x1ffd, 0x1000, 8, 8), Some(0x1ff0));
    }
}
