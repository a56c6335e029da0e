//! timer: prints a tick line every 250 ms (ten in all) from a virtualised alarm, showing the
//! alarm driver's frequency and the tick count each alarm fired at, then exits.
#![no_std]
#![no_main]

use capsule_rt::{alarm, println};

#[no_mangle]
fn app_main() {
    let frequency = match alarm::frequency() {
        Ok(f) => f,
        Err(e) => {
            println!("timer: no alarm: {}", e.name());
            return;
        }
    };
    println!("timer: alarm at {} Hz", frequency);
    let start = alarm::now().unwrap_or(0);
    for tick in 1..=10 {
        match alarm::sleep_ms(250) {
            Ok(at) => println!(
                "timer: tick {} at {} ms",
                tick,
                alarm::ticks_to_ms(at.wrapping_sub(start), frequency)
            ),
            Err(e) => println!("timer: tick {} failed: {}", tick, e.name()),
        }
    }
    println!("timer: done");
}
