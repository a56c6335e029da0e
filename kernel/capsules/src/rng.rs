//! Random numbers (driver 0x40001), built as in the paper's example.
//!
//! Three layers: the RNG HIL (`kernel::hil::rng`), the `SimpleRng` capsule below with its
//! `Cell<bool>` busy flag, and the system-call layer. This board has no hardware RNG, so the
//! board gives `SimpleRng` a `PseudoRandom` source (xorshift32 seeded from the timer): it is
//! NOT cryptographically secure, and says so here and in kernel/README.md.
//!
//! System calls:
//! - command 0: driver exists (Success).
//! - command 1 (n): fill the read-write allow 0 buffer with up to `n` random bytes; then
//!   upcall 0 (0, bytes filled, 0). Failure(BUSY) if a request of this process is pending.
//! - allow rw 0: the buffer. subscribe 0: completion.
//! - anything else: Failure(NOSUPPORT).

use cells::OptionalCell;
use core::cell::Cell;
use kernel::deferred::{DeferredCall, DeferredCallClient};
use kernel::grant::Grant;
use kernel::hil::rng::{Client, Continue, Rng};
use kernel::platform::SyscallDriver;
use kernel::process::ProcessId;
use kernel::syscall::CommandReturn;
use kernel::{ErrorCode, Kernel};

/// Driver number.
pub const DRIVER_NUM: u32 = 0x40001;

/// Per-process request state.
#[derive(Default)]
pub struct App {
    pending: bool,
    remaining: usize,
    idx: usize,
}

/// The capsule.
pub struct SimpleRng<'a> {
    rng: &'a dyn Rng<'a>,
    apps: Grant<App>,
    busy: Cell<bool>,
    kernel: &'static Kernel,
}

impl<'a> SimpleRng<'a> {
    /// A capsule drawing from `rng`.
    pub fn new(rng: &'a dyn Rng<'a>, apps: Grant<App>, kernel: &'static Kernel) -> Self {
        SimpleRng {
            rng,
            apps,
            busy: Cell::new(false),
            kernel,
        }
    }
}

impl<'a> Client for SimpleRng<'a> {
    fn randomness_available(
        &self,
        randomness: &mut dyn Iterator<Item = u32>,
        _error: Result<(), ErrorCode>,
    ) -> Continue {
        let mut done = true;
        let kernel = self.kernel;
        self.apps.each(|pid, app| {
            if !app.pending {
                return;
            }
            let filled = kernel.with_readwrite(pid, DRIVER_NUM, 0, |buf| {
                let want = app.remaining.min(buf.len().saturating_sub(app.idx));
                let mut n = 0;
                while n < want {
                    match randomness.next() {
                        Some(word) => {
                            for b in word.to_le_bytes().iter().take(want - n) {
                                buf[app.idx + n] = *b;
                                n += 1;
                            }
                        }
                        None => break,
                    }
                }
                app.idx += n;
                app.remaining -= n;
                app.remaining == 0 || app.idx >= buf.len()
            });
            match filled {
                Ok(true) | Err(_) => {
                    app.pending = false;
                    kernel.schedule_upcall(pid, DRIVER_NUM, 0, [0, app.idx as u32, 0]);
                }
                Ok(false) => done = false,
            }
        });
        if done {
            self.busy.set(false);
            Continue::Done
        } else {
            Continue::More
        }
    }
}

impl<'a> SyscallDriver for SimpleRng<'a> {
    fn subscribe_number_ok(&self, number: u32) -> bool {
        number == 0
    }

    fn command(&self, command: u32, arg1: u32, _arg2: u32, pid: ProcessId) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => {
                let r = self.apps.enter(pid, |app| {
                    if app.pending {
                        return Err(ErrorCode::Busy);
                    }
                    app.pending = true;
                    app.remaining = arg1 as usize;
                    app.idx = 0;
                    Ok(())
                });
                match r {
                    Ok(Ok(())) => {
                        if !self.busy.get() {
                            self.busy.set(true);
                            if let Err(e) = self.rng.get() {
                                self.busy.set(false);
                                let _ = self.apps.enter(pid, |app| app.pending = false);
                                return CommandReturn::failure(e);
                            }
                        }
                        CommandReturn::success()
                    }
                    Ok(Err(e)) | Err(e) => CommandReturn::failure(e),
                }
            }
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
    fn allow_number_ok(&self, readonly: bool, number: u32) -> bool {
        !readonly && number == 0
    }
}

/// A documented pseudo-random source (xorshift32), for boards without an RNG peripheral.
/// Not cryptographically secure.
pub struct PseudoRandom<'a> {
    state: Cell<u32>,
    client: OptionalCell<&'a dyn Client>,
    deferred: OptionalCell<DeferredCall>,
    requested: Cell<bool>,
}

impl<'a> PseudoRandom<'a> {
    /// A source seeded with `seed` (zero is replaced, as xorshift would stick at zero).
    pub fn new(seed: u32) -> Self {
        PseudoRandom {
            state: Cell::new(if seed == 0 { 0x9e37_79b9 } else { seed }),
            client: OptionalCell::empty(),
            deferred: OptionalCell::empty(),
            requested: Cell::new(false),
        }
    }
    /// Gives the source its deferred call (board wiring).
    pub fn set_deferred_call(&self, d: DeferredCall) {
        self.deferred.set(d);
    }
    fn step(&self) -> u32 {
        let mut x = self.state.get();
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state.set(x);
        x
    }
}

struct Words<'b, 'a> {
    src: &'b PseudoRandom<'a>,
    left: usize,
}

impl<'b, 'a> Iterator for Words<'b, 'a> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        Some(self.src.step())
    }
}

impl<'a> DeferredCallClient for PseudoRandom<'a> {
    fn handle_deferred_call(&self) {
        if !self.requested.get() {
            return;
        }
        self.requested.set(false);
        let mut words = Words {
            src: self,
            left: 64,
        };
        if let Some(Continue::More) = self
            .client
            .map(|c| c.randomness_available(&mut words, Ok(())))
        {
            self.requested.set(true);
            self.deferred.map(|d| d.set());
        }
    }
}

impl<'a> Rng<'a> for PseudoRandom<'a> {
    fn get(&self) -> Result<(), ErrorCode> {
        if self.deferred.is_none() {
            return Err(ErrorCode::Off);
        }
        self.requested.set(true);
        self.deferred.map(|d| d.set());
        Ok(())
    }
    fn cancel(&self) -> Result<(), ErrorCode> {
        self.requested.set(false);
        Ok(())
    }
    fn set_client(&'a self, client: &'a dyn Client) {
        self.client.set(client);
    }
}
