//! fuzzer: issues random system calls (100,000 unless told otherwise) with random classes,
//! driver numbers, arguments and pointers, and checks the kernel's answers against the ABI.
//!
//! The number of calls and the seed are parameters: `FUZZ_PARAMS` in flash holds a marker, the
//! count and the seed, and a test patches them in the TBF it boots (the marker finds them), so
//! each run is seeded with a value the test chooses and prints, and a failure replays from it.
//! The generator is xoshiro128** seeded through splitmix32, unrelated to the xorshift32 the
//! mps2 kernel's RNG driver uses: the fuzzer's sequence never follows the kernel's.
//!
//! Every answer must decode to a defined return variant and error code, and an allow of a
//! buffer that is not wholly inside this process must fail. Pointers are drawn from three pools:
//! a scratch buffer inside the process (valid), addresses outside it (kernel RAM, kernel flash,
//! the RAM just past this process, ranges that wrap around the address space) and null. Left
//! out on purpose, so that the run can finish: exit (it would end the run), yield-wait and
//! yield-wait-for (nothing guarantees an upcall), console write/read and low-level-debug
//! commands (they would flood the console the test reads), subscribing a random function
//! pointer (that is the bad-upcall test's job) and moving the break below its start. Progress
//! lines every tenth of the run; the last line says `fuzz: done`.
#![no_std]
#![no_main]

use capsule_rt::println;
use capsule_rt::syscall::{self, memop, SyscallReturn};
use core::sync::atomic::{AtomicU32, Ordering};

/// Marker ("FUZZPARM"), calls, seed: patched in the TBF by tests (tests/kernel/qemu.ts).
#[no_mangle]
#[used]
static FUZZ_PARAMS: [u32; 4] = [0x5a5a_5546, 0x4d52_4150, 100_000, 0];
/// The seed when none was patched in.
const DEFAULT_SEED: u32 = 0x2545_f491;

/// Drivers that exist on our boards, tried as often as random numbers.
const KNOWN_DRIVERS: [u32; 6] = [0, 1, 2, 8, 0x40001, 0x90000];

static UPCALLS: AtomicU32 = AtomicU32::new(0);
static mut SCRATCH: [u8; 256] = [0; 256];

unsafe extern "C" fn count_upcall(_: u32, _: u32, _: u32, _: usize) {
    UPCALLS.fetch_add(1, Ordering::Relaxed);
}

/// xoshiro128** (Blackman and Vigna), its state filled from the seed by splitmix32: small,
/// fast, and reproducible from the printed seed.
struct Rng([u32; 4]);

impl Rng {
    fn seeded(seed: u32) -> Rng {
        let mut z = seed;
        let mut splitmix = || {
            z = z.wrapping_add(0x9e37_79b9);
            let mut x = z;
            x = (x ^ (x >> 16)).wrapping_mul(0x85eb_ca6b);
            x = (x ^ (x >> 13)).wrapping_mul(0xc2b2_ae35);
            x ^ (x >> 16)
        };
        let mut s = [splitmix(), splitmix(), splitmix(), splitmix()];
        if s == [0; 4] {
            s[0] = 1;
        }
        Rng(s)
    }

    fn next(&mut self) -> u32 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 9;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(11);
        result
    }
    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }
}

struct Layout {
    ram: (u32, u32),
    flash: (u32, u32),
    initial_break: u32,
}

/// Subscriptions this run holds (kernels keep a bounded table per process; the fuzzer gives
/// its slots back regularly so that its own console output can still subscribe).
struct Held {
    slots: [(u32, u32); 16],
    len: usize,
}

impl Held {
    fn note(&mut self, driver: u32, subscribe: u32) {
        if self.slots[..self.len].contains(&(driver, subscribe)) {
            return;
        }
        if self.len == self.slots.len() {
            release(driver, subscribe);
        } else {
            self.slots[self.len] = (driver, subscribe);
            self.len += 1;
        }
    }

    fn release_all(&mut self) {
        for &(driver, subscribe) in &self.slots[..self.len] {
            release(driver, subscribe);
        }
        self.len = 0;
    }
}

fn release(driver: u32, subscribe: u32) {
    // SAFETY: a null upcall with no appdata holds nothing.
    let _ = unsafe { syscall::subscribe(driver, subscribe, None, 0) };
}

#[derive(Default)]
struct Tally {
    calls: u32,
    successes: u32,
    failures: u32,
    violations: u32,
    per_class: [u32; 8],
}

impl Tally {
    /// Counts one call from the registers the kernel returned (`raw`).
    fn record(&mut self, class: u8, raw: [u32; 4], must_fail: bool) -> Option<SyscallReturn> {
        self.calls += 1;
        self.per_class[class as usize] += 1;
        let decoded = SyscallReturn::decode(raw);
        match decoded {
            None => {
                self.violations += 1;
                println!(
                    "fuzz: VIOLATION class {} returned undefined {:#x} {:#x} {:#x} {:#x}",
                    class, raw[0], raw[1], raw[2], raw[3]
                );
            }
            Some(r) if r.is_success() => {
                self.successes += 1;
                if must_fail {
                    self.violations += 1;
                    println!(
                        "fuzz: VIOLATION class {} accepted a buffer outside the process",
                        class
                    );
                }
            }
            _ => self.failures += 1,
        }
        decoded
    }
}

/// Memop with the kernel's registers as returned.
fn memop_raw(op: u32, arg: u32) -> [u32; 4] {
    // SAFETY: memop arguments are addresses the kernel validates, never dereferenced here.
    unsafe { syscall::raw(5, [op, arg, 0, 0]) }
}

fn pick_driver(rng: &mut Rng) -> u32 {
    match rng.below(3) {
        0 => KNOWN_DRIVERS[rng.below(KNOWN_DRIVERS.len() as u32) as usize],
        1 => rng.below(64),
        _ => rng.next(),
    }
}

/// A (pointer, length, wholly inside this process?) triple for allow or yield.
fn pick_buffer(rng: &mut Rng, layout: &Layout, read_only: bool) -> (u32, u32, bool) {
    // SAFETY: only the address is taken; no reference to the static is formed.
    let scratch = unsafe { core::ptr::addr_of_mut!(SCRATCH) } as u32;
    match rng.below(8) {
        0 | 1 | 2 => {
            let offset = rng.below(256);
            (scratch + offset, rng.below(257 - offset), true)
        }
        3 => (0, 0, true),
        4 => (0x2000_0000 + rng.below(0x8000), 1 + rng.below(64), false),
        5 => (layout.ram.1 - rng.below(8), 16 + rng.below(64), false),
        6 => (0xffff_ff00 + rng.below(0x100), 0x200, false),
        _ => {
            // Kernel flash is readable by nobody but the kernel; our own flash is fine for a
            // read-only allow.
            if read_only && rng.below(2) == 0 {
                (layout.flash.0, 16, true)
            } else {
                (rng.below(0x4_0000) & !3, 4 + rng.below(60), false)
            }
        }
    }
}

fn one_call(rng: &mut Rng, layout: &Layout, tally: &mut Tally, held: &mut Held) {
    const CLASSES: [u8; 7] = [0, 1, 2, 3, 4, 5, 7];
    let class = CLASSES[rng.below(CLASSES.len() as u32) as usize];
    match class {
        0 => {
            // Yield-no-wait with a flag pointer from any pool, or an undefined yield kind.
            let (ptr, _, _) = pick_buffer(rng, layout, false);
            let kind = if rng.below(4) == 0 {
                3 + rng.below(1000)
            } else {
                0
            };
            // SAFETY: the kernel writes at most one byte at `ptr` and only if it lies inside this
            // process; scratch is the only in-process pool and nothing else lives there.
            let r = unsafe { syscall::raw(0, [kind, ptr, 0, 0]) };
            // Yield answers with no return variant; count it as a call without decoding it.
            let _ = r;
            tally.calls += 1;
            tally.per_class[0] += 1;
        }
        1 => {
            let driver = pick_driver(rng);
            let upcall = if rng.below(2) == 0 {
                Some(count_upcall as syscall::Upcall)
            } else {
                None
            };
            let f = upcall.map_or(0, |f| f as usize as u32);
            let subscribe = rng.below(8);
            // SAFETY: the upcall is a valid function that ignores its appdata.
            let r = unsafe { syscall::raw(1, [driver, subscribe, f, rng.next()]) };
            let decoded = tally.record(1, r, false);
            if decoded.map_or(false, |d| d.is_success()) {
                held.note(driver, subscribe);
            }
        }
        2 => {
            let driver = pick_driver(rng);
            let mut command = if rng.below(4) == 0 {
                rng.next()
            } else {
                rng.below(16)
            };
            if (driver == 1 && (command == 1 || command == 2)) || (driver == 8 && command != 0) {
                command = 0;
            }
            // SAFETY: command passes values, never pointers the kernel dereferences.
            let r = unsafe { syscall::raw(2, [driver, command, rng.next(), rng.next()]) };
            tally.record(2, r, false);
        }
        3 | 4 | 7 => {
            let driver = pick_driver(rng);
            let number = rng.below(8);
            let (ptr, len, inside) = pick_buffer(rng, layout, class == 4);
            // Only flash pointers are acceptable for read-only; a read-write allow of our own
            // flash must fail too.
            let inside =
                inside && (class == 4 || ptr == 0 || (ptr >= layout.ram.0 && ptr < layout.ram.1));
            // SAFETY: in-process buffers are the scratch array (or our flash for read-only),
            // which nothing else uses; outside ones are the point of the test.
            let r = unsafe { syscall::raw(class, [driver, number, ptr, len]) };
            let decoded = tally.record(class, r, !inside && len > 0);
            if decoded.map_or(false, |d| d.is_success()) {
                // Take the buffer back so no driver keeps writing scratch between calls.
                // SAFETY: a null buffer lends nothing.
                let back = unsafe { syscall::raw(class, [driver, number, 0, 0]) };
                tally.record(class, back, false);
            }
        }
        _ => {
            // Memop: any operation, including undefined ones; the break always goes back.
            let op = if rng.below(8) == 0 {
                rng.below(1000)
            } else {
                rng.below(12)
            };
            let arg = match op {
                0 => layout.initial_break + rng.below(layout.ram.1 - layout.initial_break + 64),
                1 => rng.below(512),
                _ => rng.next(),
            };
            tally.record(5, memop_raw(op, arg), false);
            if op == 0 || op == 1 {
                tally.record(5, memop_raw(0, layout.initial_break), false);
            }
        }
    }
}

#[no_mangle]
fn app_main() {
    let word = |op| memop(op, 0).to_u32().unwrap_or(0);
    let initial_break = match memop(1, 0) {
        SyscallReturn::SuccessU32(b) => b,
        _ => word(3),
    };
    let layout = Layout {
        ram: (word(2), word(3)),
        flash: (word(4), word(5)),
        initial_break,
    };
    // SAFETY: reads of an initialised static; volatile so the patched values are used, not the
    // ones the compiler saw.
    let (total, seed) = unsafe {
        (
            core::ptr::read_volatile(&FUZZ_PARAMS[2]),
            core::ptr::read_volatile(&FUZZ_PARAMS[3]),
        )
    };
    let seed = if seed == 0 { DEFAULT_SEED } else { seed };
    println!(
        "fuzz: start seed {:#010x} calls {} ram {:#010x}-{:#010x} break {:#010x}",
        seed, total, layout.ram.0, layout.ram.1, layout.initial_break
    );
    let progress_every = (total / 10).max(1);
    let mut rng = Rng::seeded(seed);
    let mut tally = Tally::default();
    let mut held = Held {
        slots: [(0, 0); 16],
        len: 0,
    };
    let mut next_report = progress_every;
    while tally.calls < total {
        one_call(&mut rng, &layout, &mut tally, &mut held);
        if held.len >= 8 {
            held.release_all();
        }
        if tally.calls >= next_report {
            held.release_all();
            println!(
                "fuzz: {} syscalls ({} ok, {} failed, {} violations)",
                tally.calls, tally.successes, tally.failures, tally.violations
            );
            next_report += progress_every;
        }
    }
    held.release_all();
    let c = tally.per_class;
    println!(
        "fuzz: done {} syscalls, {} violations, {} upcalls; per class {} {} {} {} {} {} {} {}",
        tally.calls,
        tally.violations,
        UPCALLS.load(Ordering::Relaxed),
        c[0],
        c[1],
        c[2],
        c[3],
        c[4],
        c[5],
        c[6],
        c[7]
    );
}
