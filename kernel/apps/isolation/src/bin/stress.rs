//! stress: pushes the kernel where one process can push it hardest, and prints what it saw.
//! None of it may fault this process, disturb another one or panic the kernel.
//!
//! 1. Grant exhaustion: before any capsule has state for this process, the app break is raised
//!    to the top of its RAM block (the bottom of the empty grant region, on an MPU subregion
//!    boundary), leaving no room for grants: the alarm and RNG commands that need per-process
//!    state fail with NOMEM. With the break back they succeed, and a break into
//!    the memory the grants now hold is refused (NOMEM). Nothing is printed until the break
//!    is back: printing needs the console's grant.
//! 2. Overlapping allows held at once: one buffer is lent read-only to the console (bytes
//!    0-39) and read-write to the RNG (bytes 20-59) at the same time, and both drivers run on
//!    it together. Each touches only its own range, and taking the buffers back returns
//!    exactly what was lent. Then a buffer still lent to the RNG is left above a lowered
//!    break: the RNG must write none of it.
//! 3. An upcall flood: thirty alarms fire while the process never yields. The kernel queues
//!    ten upcalls (its per-process queue) and drops and counts the rest; yielding then runs
//!    exactly ten. The drop count shows in the process console (`process stress`).
//!
//! Lines: `stress: grants: ...`, `stress: allows: ...`, `stress: flood: ...`, `stress: done`.
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]

use capsule_rt::syscall::{self, command, memop, SyscallReturn};
use capsule_rt::{alarm, println};
use core::sync::atomic::{AtomicU32, Ordering};

const ALARM: u32 = 0;
const CONSOLE: u32 = 1;
const RNG: u32 = 0x40001;

fn outcome(r: SyscallReturn) -> &'static str {
    match r.error() {
        None => "OK",
        Some(e) => e.name(),
    }
}

/// The current app break (sbrk 0 answers the break before the call).
fn app_break() -> u32 {
    memop(1, 0).to_u32().unwrap_or(0)
}

/// Runs first, before anything allocates grants (printing does): see the header.
fn grants() {
    let start = app_break();
    let grants_bottom = memop(6, 0).to_u32().unwrap_or(0);
    let raise = memop(0, grants_bottom);
    let raised = app_break();
    let alarm_full = command(ALARM, 5, 1000, 0);
    let rng_full = command(RNG, 1, 4, 0);
    let lowered = memop(0, start);
    let alarm_room = command(ALARM, 5, 1000, 0);
    let _ = command(ALARM, 3, 0, 0);
    // The alarm's state now lives at the old bottom of the grant region.
    let into_grants = memop(0, grants_bottom);
    let _ = memop(0, start);
    println!("stress: start");
    println!(
        "stress: grants: break raised to the grants at {:#x} ({}, break now {:#x}): alarm {}, rng {}",
        grants_bottom,
        outcome(raise),
        raised,
        outcome(alarm_full),
        outcome(rng_full)
    );
    println!(
        "stress: grants: break back ({}): alarm {}; break into the grants: {}",
        outcome(lowered),
        outcome(alarm_room),
        outcome(into_grants)
    );
}

static mut BUF: [u8; 64] = [0; 64];
static CONSOLE_DONE: AtomicU32 = AtomicU32::new(0);
static RNG_FILLED: AtomicU32 = AtomicU32::new(u32::MAX);

unsafe extern "C" fn console_done(_: u32, _: u32, _: u32, _: usize) {
    CONSOLE_DONE.fetch_add(1, Ordering::Relaxed);
}

unsafe extern "C" fn rng_done(_: u32, filled: u32, _: u32, _: usize) {
    RNG_FILLED.store(filled, Ordering::Relaxed);
}

const TEXT: &[u8; 20] = b"stress: overlapped!\n";
const CANARY: u8 = 0x5a;

fn buf() -> *mut u8 {
    // SAFETY: only the address is taken; the buffer is touched through raw pointers.
    unsafe { core::ptr::addr_of_mut!(BUF) as *mut u8 }
}

fn byte(at: usize) -> u8 {
    // SAFETY: `at` < 64, inside BUF; volatile because drivers wrote it behind the compiler.
    unsafe { core::ptr::read_volatile(buf().add(at)) }
}

/// Waits (yielding) until `done` holds.
fn wait_until(done: impl Fn() -> bool) {
    while !done() {
        syscall::yield_wait();
    }
}

fn allows() {
    let b = buf();
    for i in 0..64 {
        let v = if i < TEXT.len() { TEXT[i] } else { CANARY };
        // SAFETY: i < 64, inside BUF; nothing is lent yet.
        unsafe { core::ptr::write_volatile(b.add(i), v) };
    }
    // SAFETY: the handlers touch only atomics; BUF outlives both allows, which are taken back
    // below before anything else reads or writes it.
    let lent = unsafe {
        (
            syscall::subscribe(CONSOLE, 1, Some(console_done), 0),
            syscall::subscribe(RNG, 0, Some(rng_done), 0),
            syscall::allow_ro(CONSOLE, 1, b, 40),
            syscall::allow_rw(RNG, 0, b.add(20), 40),
        )
    };
    let ok = lent.0.is_ok() && lent.1.is_ok() && lent.2 == Ok((0, 0)) && lent.3 == Ok((0, 0));
    // Both drivers at once: the console sends bytes 0-19, the RNG fills bytes 20-59.
    let write = command(CONSOLE, 1, 20, 0);
    let fill = command(RNG, 1, 40, 0);
    if write.is_success() && fill.is_success() {
        wait_until(|| {
            CONSOLE_DONE.load(Ordering::Relaxed) == 1
                && RNG_FILLED.load(Ordering::Relaxed) != u32::MAX
        });
    }
    // SAFETY: withdrawing lends nothing.
    let back = unsafe {
        (
            syscall::allow_rw(RNG, 0, core::ptr::null_mut(), 0),
            syscall::allow_ro(CONSOLE, 1, core::ptr::null(), 0),
        )
    };
    let exact = back.0 == Ok((b as u32 + 20, 40)) && back.1 == Ok((b as u32, 40));
    let text_kept = (0..TEXT.len()).all(|i| byte(i) == TEXT[i]);
    let canary_kept = (60..64).all(|i| byte(i) == CANARY);
    let filled = RNG_FILLED.load(Ordering::Relaxed);

    // A buffer lent to the RNG and left above a lowered break: nothing may be written there.
    // It lies in heap claimed for the purpose (sbrk), just above where the break lands when it
    // is lowered again (the MPU rounds a break up to its subregion boundary).
    let start = memop(1, 1024).to_u32().unwrap_or(0);
    let _ = memop(0, start);
    let lowest = app_break();
    let _ = memop(0, start + 1024);
    let high = ((lowest + 16) & !3).min(start + 1024 - 16) as *mut u8;
    for i in 0..16 {
        // SAFETY: [high, high + 16) lies in the heap just claimed, used by nothing else.
        unsafe { core::ptr::write_volatile(high.add(i), CANARY) };
    }
    RNG_FILLED.store(u32::MAX, Ordering::Relaxed);
    // SAFETY: the bytes stay unused by this process until the allow is withdrawn.
    let lent_high = unsafe { syscall::allow_rw(RNG, 0, high, 16) };
    let lowered = memop(0, start);
    let fill_high = command(RNG, 1, 16, 0);
    if fill_high.is_success() {
        wait_until(|| RNG_FILLED.load(Ordering::Relaxed) != u32::MAX);
    }
    let _ = memop(0, start + 1024);
    // SAFETY: withdrawing lends nothing; the handlers hold no pointers.
    unsafe {
        let _ = syscall::allow_rw(RNG, 0, core::ptr::null_mut(), 0);
        let _ = syscall::subscribe(RNG, 0, None, 0);
        let _ = syscall::subscribe(CONSOLE, 1, None, 0);
    }
    // SAFETY: below the break again, and no longer lent.
    let high_kept = (0..16).all(|i| unsafe { core::ptr::read_volatile(high.add(i)) } == CANARY);
    println!(
        "stress: allows: overlapping allows {}; console {}, rng {} filled {}; returned {}; outside bytes {}",
        if ok { "held" } else { "REFUSED" },
        outcome(write),
        outcome(fill),
        filled,
        if exact { "exactly" } else { "WRONG" },
        if text_kept && canary_kept { "untouched" } else { "CHANGED" },
    );
    println!(
        "stress: allows: buffer above the lowered break ({}, {}): rng {} filled {}; bytes {}",
        if lent_high.is_ok() {
            "lent"
        } else {
            "not lent"
        },
        outcome(lowered),
        outcome(fill_high),
        RNG_FILLED.load(Ordering::Relaxed),
        if high_kept { "untouched" } else { "CHANGED" },
    );
}

static FLOOD: AtomicU32 = AtomicU32::new(0);

unsafe extern "C" fn flood_upcall(_: u32, _: u32, _: u32, _: usize) {
    FLOOD.fetch_add(1, Ordering::Relaxed);
}

const FLOOD_ALARMS: u32 = 30;

fn flood() {
    let frequency = alarm::frequency().unwrap_or(1000);
    // About 100 us, and at least a few ticks of a slow clock.
    let dt = (frequency / 10_000).max(3);
    // SAFETY: the handler touches only an atomic.
    let _ = unsafe { syscall::subscribe(ALARM, 0, Some(flood_upcall), 0) };
    let mut fired = 0;
    for _ in 0..FLOOD_ALARMS {
        let expiry = match command(ALARM, 5, dt, 0).to_u32() {
            Ok(e) => e,
            Err(_) => break,
        };
        // Spin, never yielding, until the alarm is well past: its upcall is then queued.
        loop {
            let now = alarm::now().unwrap_or(expiry);
            if now.wrapping_sub(expiry) as i32 >= dt as i32 {
                break;
            }
        }
        fired += 1;
    }
    let before = FLOOD.load(Ordering::Relaxed);
    while syscall::yield_no_wait() {}
    let delivered = FLOOD.load(Ordering::Relaxed);
    // SAFETY: a null upcall holds nothing.
    let _ = unsafe { syscall::subscribe(ALARM, 0, None, 0) };
    println!(
        "stress: flood: {} alarms fired while not yielding; {} upcalls ran before yielding, {} after",
        fired, before, delivered
    );
}

#[no_mangle]
fn app_main() {
    grants();
    allows();
    flood();
    println!("stress: done");
    // Stay alive (and inspectable with `process stress`) without using the CPU.
    loop {
        let _ = alarm::sleep_ms(60_000);
    }
}
