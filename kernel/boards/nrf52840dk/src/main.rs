//! Board: Nordic's nRF52840 DK (PCA10056), an nRF52840 at 64 MHz.
//!
//! Pins from the DK's documentation: the interface MCU's virtual COM port is UART TX P0.06,
//! RX P0.08; LED1-LED4 are P0.13-P0.16 (active low); BUTTON1-BUTTON4 are P0.11, P0.12, P0.24,
//! P0.25 (active low, need the pull-up). LED1 is lit at boot. The composition itself is
//! shared with the other nRF52 boards (the `nrf52-components` crate). Boot transcript (stable lines):
//!
//! ```text
//! Capsule kernel 0.1.0 on nrf52840dk
//! [kernel] loaded process 'hello' (pid 0): flash 0x00040000-0x00042000, RAM 0x20008000-0x2000a400
//! [kernel] 1 process(es) loaded
//! [kernel] process console ready; type help
//! ```
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]

use nrf52_components::BoardConfig;

static CONFIG: BoardConfig = BoardConfig {
    name: "nrf52840dk",
    variant: nrf52::NRF52840,
    uart_tx: (0, 6),
    uart_rx: (0, 8),
    leds: &[(0, 13, true), (0, 14, true), (0, 15, true), (0, 16, true)],
    lit_at_boot: &[0],
    buttons: &[(0, 11), (0, 12), (0, 24), (0, 25)],
    // LED1-4 for apps (driver 0x2).
    app_leds: &[(0, 13, true), (0, 14, true), (0, 15, true), (0, 16, true)],
    // P1.01-P1.08 (free pins of the DK's P1 header) as GPIO pins 0-7 (driver 0x4); pins 0-3
    // can interrupt (GPIOTE channels 4-7, after the four buttons).
    gpio_pins: &[
        (1, 1),
        (1, 2),
        (1, 3),
        (1, 4),
        (1, 5),
        (1, 6),
        (1, 7),
        (1, 8),
    ],
    memory_info: if cfg!(feature = "tock-bootloader") {
        "Memory: bootloader 0x00000000-0x00007fff, kernel flash 0x00008000-0x0003ffff, apps flash 0x00040000-0x000fffff, kernel RAM 0x20000000-0x20007fff, app RAM 0x20008000-0x2001ffff"
    } else {
        "Memory: kernel flash 0x00000000-0x0003ffff, apps flash 0x00040000-0x000fffff, kernel RAM 0x20000000-0x20007fff, app RAM 0x20008000-0x2001ffff"
    },
};

/// Start of kernel flash: 0, or 0x8000 after Tock's serial bootloader (`tock-bootloader`).
pub const KERNEL_FLASH_START: usize = if cfg!(feature = "tock-bootloader") {
    0x8000
} else {
    0
};

nrf52_components::board_main!(CONFIG, KERNEL_FLASH_START);
