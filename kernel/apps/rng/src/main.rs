//! rng: asks the RNG driver (0x40001) for random bytes three times and prints them in hex.
#![no_std]
#![no_main]

use capsule_rt::{alarm, println, rng};

#[no_mangle]
fn app_main() {
    for round in 1..=3 {
        let mut bytes = [0u8; 8];
        match rng::fill(&mut bytes) {
            Ok(n) => {
                let mut word = [0u8; 4];
                word.copy_from_slice(&bytes[..4]);
                let mut word2 = [0u8; 4];
                word2.copy_from_slice(&bytes[4..]);
                println!(
                    "rng: round {} got {} bytes {:08x}{:08x}",
                    round,
                    n,
                    u32::from_be_bytes(word),
                    u32::from_be_bytes(word2)
                );
            }
            Err(e) => println!("rng: round {} failed: {}", round, e.name()),
        }
        let _ = alarm::sleep_ms(100);
    }
}
