//! Board: BBC micro:bit v2, an nRF52833 at 64 MHz (512 KiB flash, 128 KiB RAM).
//!
//! Pins from the micro:bit v2 schematic: the interface MCU's serial port is UART TX P0.06,
//! RX P1.08; the 5x5 LED matrix has rows P0.21, P0.22, P0.15, P0.24, P0.19 (active high) and
//! columns P0.28, P0.11, P0.31, P1.05, P0.30 (active low); button A is P0.14 and button B
//! P0.23 (active low). The top-left LED (row 1, column 1) is lit at boot; button A reports
//! as button 1, B as button 2. The composition is shared with the nRF52840 DK (the
//! `nrf52-components` crate); only the apps flash is smaller (0x40000-0x7FFFF).
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]

use nrf52_components::BoardConfig;

static CONFIG: BoardConfig = BoardConfig {
    name: "microbit-v2",
    variant: nrf52::NRF52833,
    uart_tx: (0, 6),
    uart_rx: (1, 8),
    leds: &[
        // Rows 1-5 (active high).
        (0, 21, false),
        (0, 22, false),
        (0, 15, false),
        (0, 24, false),
        (0, 19, false),
        // Columns 1-5 (active low).
        (0, 28, true),
        (0, 11, true),
        (0, 31, true),
        (1, 5, true),
        (0, 30, true),
    ],
    // Row 1 and column 1: the top-left LED.
    lit_at_boot: &[0, 5],
    buttons: &[(0, 14), (0, 23)],
    // The LED driver (0x2) offers the matrix's top row: row 1 stays high (the boot pattern sets
    // it), so each column pin (active low) lights one pixel without scanning.
    app_leds: &[(0, 28, true), (0, 11, true), (0, 31, true), (1, 5, true), (0, 30, true)],
    // Edge-connector rings 0, 1, 2 (P0.02, P0.03, P0.04) as GPIO pins 0-2 (driver 0x4).
    gpio_pins: &[(0, 2), (0, 3), (0, 4)],
    memory_info: "Memory: kernel flash 0x00000000-0x0003ffff, apps flash 0x00040000-0x0007ffff, kernel RAM 0x20000000-0x20007fff, app RAM 0x20008000-0x2001ffff",
};

/// Start of kernel flash (the micro:bit's kernel is linked at 0).
pub const KERNEL_FLASH_START: usize = 0;

nrf52_components::board_main!(CONFIG, KERNEL_FLASH_START);
