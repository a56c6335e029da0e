//! badcalls: makes the invalid system calls a buggy app would, one after another, and prints
//! what the kernel answered. None may succeed, and none may disturb another process.
//!
//! 1. read-only allow of kernel RAM to the console (must fail INVALID);
//! 2. read-write allow of a buffer that runs past the end of this process's RAM (INVALID);
//! 3. a command to a driver that does not exist (NODEVICE);
//! 4. a memop that does not exist, and a brk below the process's RAM (failures);
//! 5. subscribe the alarm upcall with a function pointer into kernel flash (INVALID: the kernel
//!    checks upcall addresses at subscribe time and again before it runs one).
#![no_std]
#![no_main]

use capsule_rt::syscall::{self, command, memop, SyscallReturn};
use capsule_rt::{alarm, println};

fn show(what: &str, r: SyscallReturn) {
    match r.error() {
        Some(e) => println!("badcalls: {} -> {}", what, e.name()),
        None => println!("badcalls: {} -> accepted (ERROR)", what),
    }
}

fn show_pair(what: &str, r: Result<(u32, u32), capsule_rt::ErrorCode>) {
    match r {
        Err(e) => println!("badcalls: {} -> {}", what, e.name()),
        Ok(_) => println!("badcalls: {} -> accepted (ERROR)", what),
    }
}

/// Address of the bad upcall: inside kernel flash, where this process may not execute.
const BAD_UPCALL: u32 = 0x0000_0100;

#[no_mangle]
fn app_main() {
    let _ = alarm::sleep_ms(500);
    // SAFETY: the kernel must refuse this buffer; it is never lent.
    let r = unsafe { syscall::allow_ro(1, 1, 0x2000_0000 as *const u8, 64) };
    show_pair("allow of kernel RAM 0x20000000", r);
    let ram_end = memop(3, 0).to_u32().unwrap_or(0);
    // SAFETY: as above: the buffer straddles the end of this process's memory.
    let r = unsafe { syscall::allow_rw(0x40001, 0, (ram_end - 16) as *mut u8, 64) };
    show_pair("allow past the end of process RAM", r);
    show("command to driver 0xdead", command(0xdead, 1, 0, 0));
    show("memop 99", memop(99, 0));
    show("brk to 0x20000000", memop(0, 0x2000_0000));
    // SAFETY: none on purpose: the address is not code in this process; the kernel must
    // refuse it (or fault this process alone if it ever ran it).
    let upcall: syscall::Upcall = unsafe { core::mem::transmute(BAD_UPCALL as usize) };
    // SAFETY: appdata is unused.
    let r = unsafe { syscall::subscribe(0, 0, Some(upcall), 0) };
    show_pair("subscribe with an upcall at 0x00000100", r);
    // Had the subscribe been accepted, this alarm would run the bad upcall.
    let _ = command(0, 5, 10, 0);
    let _ = alarm::sleep_ms(50);
    println!("badcalls: done");
}
