//! fault_stack: recurses without bound. The stack sits at the bottom of the process's RAM, so it
//! overflows below the process's memory and the MPU must stop it with a fault report.
#![no_std]
#![no_main]

use capsule_rt::{alarm, println};

/// Each frame holds a 64-byte array that is read again after the recursive call returns, so
/// the frame must stay alive across the call: the compiler can turn neither the recursion into
/// a loop nor the array into registers.
#[inline(never)]
fn recurse(depth: u32, parent: *const u8) -> u32 {
    // Never true in practice (the stack is a few KiB): it only tells the compiler the recursion
    // has an end.
    if depth == u32::MAX {
        return 0;
    }
    let mut frame = [0u8; 64];
    // SAFETY: `frame` is a live local array; volatile keeps the access in the binary.
    unsafe { core::ptr::write_volatile(&mut frame[0], depth as u8) };
    let below = recurse(depth + 1, frame.as_ptr());
    // SAFETY: `frame` is still live, and `parent` points into the caller's frame, which
    // outlives this call.
    let (mine, theirs) = unsafe {
        (
            core::ptr::read_volatile(&frame[0]),
            core::ptr::read_volatile(parent),
        )
    };
    below + mine as u32 + theirs as u32
}

#[no_mangle]
fn app_main() {
    let _ = alarm::sleep_ms(300);
    println!("fault_stack: recursing until the stack overflows");
    let origin = 0u8;
    let sum = recurse(0, &origin);
    println!("fault_stack: ERROR recursion returned {}", sum);
}
