//! Deferred calls: work a driver or capsule asks the kernel loop to run later.
//!
//! Split-phase HILs must not call their client from inside the call that started the
//! operation (the client may hold a `TakeCell` taken). A component with synchronous
//! hardware registers a deferred call and completes from the kernel loop instead.

use cells::StaticCell;

/// Something to run from the kernel loop.
pub trait DeferredCallClient {
    /// Runs the deferred work.
    fn handle_deferred_call(&self);
}

const MAX: usize = 8;
const NONE: StaticCell<Option<&'static dyn DeferredCallClient>> = StaticCell::new(None);
static CLIENTS: [StaticCell<Option<&'static dyn DeferredCallClient>>; MAX] = [NONE; MAX];
static PENDING: StaticCell<u32> = StaticCell::new(0);
static COUNT: StaticCell<usize> = StaticCell::new(0);

/// A registered deferred call.
#[derive(Clone, Copy)]
pub struct DeferredCall(usize);

impl DeferredCall {
    /// Registers `client`; `None` once all slots are used.
    pub fn register(client: &'static dyn DeferredCallClient) -> Option<DeferredCall> {
        let n = COUNT.get();
        if n >= MAX {
            return None;
        }
        CLIENTS[n].set(Some(client));
        COUNT.set(n + 1);
        Some(DeferredCall(n))
    }
    /// Asks for the client to run soon.
    pub fn set(&self) {
        PENDING.set(PENDING.get() | 1 << self.0);
    }
}

/// Bit of `PENDING` no client owns: set to bring the kernel loop round (its pass services the
/// deferred calls, which clears it, and then acts on whatever asked for it).
const WAKE_LOOP: u32 = 1 << 31;

/// Asks the kernel loop for a pass without running a client: `Chip::has_pending_interrupts`
/// is true until then, so `run_process` ends the timeslice it is in at its next check and
/// neither it nor the SysTick handler's switch (which relies on that check) runs a process
/// before the loop came round. The console's fault request uses it.
pub(crate) fn wake_loop() {
    PENDING.set(PENDING.get() | WAKE_LOOP);
}

/// True when a deferred call waits.
pub fn pending() -> bool {
    PENDING.get() != 0
}

/// Runs every pending deferred call once.
pub fn service() {
    let p = PENDING.get();
    if p == 0 {
        // The common case, every pass of the kernel loop: nothing to walk.
        return;
    }
    // `WAKE_LOOP` is cleared with the rest: it has no client.
    PENDING.set(0);
    for (i, c) in CLIENTS.iter().enumerate() {
        if p & (1 << i) != 0 {
            if let Some(c) = c.get() {
                c.handle_deferred_call();
            }
        }
    }
}
