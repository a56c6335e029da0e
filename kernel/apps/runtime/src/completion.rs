//! Waiting for one upcall: the split-phase pattern every driver wrapper here uses.
//!
//! A driver operation starts with a command and finishes with an upcall. [`wait_for_upcall`]
//! subscribes a small handler whose appdata points at a [`Completion`] on the caller's stack,
//! starts the operation, yields until the handler has run, and unsubscribes again before the
//! `Completion` goes out of scope, so the kernel never holds a pointer to a dead stack frame.

use crate::syscall::{self, ErrorCode};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

struct Completion {
    done: AtomicBool,
    values: [AtomicU32; 3],
}

unsafe extern "C" fn complete(a: u32, b: u32, c: u32, data: usize) {
    // SAFETY: `data` is the address of the Completion that wait_for_upcall subscribed with; it
    // unsubscribes before that Completion is dropped, so the pointer is live whenever this runs.
    let completion = unsafe { &*(data as *const Completion) };
    completion.values[0].store(a, Ordering::Relaxed);
    completion.values[1].store(b, Ordering::Relaxed);
    completion.values[2].store(c, Ordering::Relaxed);
    completion.done.store(true, Ordering::Release);
}

/// Subscribes to `(driver, subscribe)`, runs `start`, then yields until the upcall arrives and
/// returns its three values. Errors from subscribe or `start` are returned as they are.
pub fn wait_for_upcall(
    driver: u32,
    subscribe: u32,
    start: impl FnOnce() -> Result<(), ErrorCode>,
) -> Result<[u32; 3], ErrorCode> {
    let completion = Completion {
        done: AtomicBool::new(false),
        values: [AtomicU32::new(0), AtomicU32::new(0), AtomicU32::new(0)],
    };
    // SAFETY: the appdata points at `completion`, which outlives the subscription: every path
    // below unsubscribes (null upcall) before returning.
    unsafe {
        syscall::subscribe(
            driver,
            subscribe,
            Some(complete),
            &completion as *const Completion as usize,
        )?
    };
    let result = start();
    if result.is_ok() {
        while !completion.done.load(Ordering::Acquire) {
            syscall::yield_wait();
        }
    }
    // SAFETY: a null upcall holds no pointer.
    let _ = unsafe { syscall::subscribe(driver, subscribe, None, 0) };
    result.map(|()| {
        [
            completion.values[0].load(Ordering::Relaxed),
            completion.values[1].load(Ordering::Relaxed),
            completion.values[2].load(Ordering::Relaxed),
        ]
    })
}
