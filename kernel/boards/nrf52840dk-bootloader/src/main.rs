//! Board: the Tock serial bootloader for the nRF52840 DK (PCA10056).
//!
//! Lives in the first 32 KiB of flash (Tock's nrf52840dk-bootloader layout); the kernel starts
//! at 0x8000 (built with `--bootloader`, see kernel/README.md) and the apps at 0x40000. At
//! reset it decides, before touching any peripheral but a pin:
//!
//! - GPREGRET holds 0x4E (software asked for the bootloader: write it, then reset; the value
//!   of the "serial-only" entry of the nRF52 UF2/Adafruit bootloaders), or
//! - BUTTON1 (P0.11, active low) is held down, or
//! - there is no kernel at the start address (its first word is no stack pointer in RAM, or
//!   its reset vector is not in flash after the bootloader),
//!
//! and then stays: LED1 lights and the bootloader speaks Tock's protocol (capsules'
//! `tock_bootloader`) on UARTE0 through the DK's J-Link virtual COM port (TX P0.06, RX P0.08,
//! 115200 8N1), writing flash through the NVMC. Otherwise it starts the kernel as the core would
//! at reset, from the start address kept in its flags block (`SET_START_ADDRESS` changes it).
//! EXIT resets the chip (SYSRESETREQ); with the button released it then starts the kernel.
//!
//! In flash (layout.ld): the vector table at 0, the flags block at 0x400 ("TOCKBOOTLOADER",
//! version "1.1.0", start address 0x8000) and the attribute table at 0x600 (board
//! `nrf52840dk`, arch `cortex-m4`, appaddr `0x40000`, pagesize `4096`), where tockloader
//! reads them. The bootloader prints nothing: its UART carries only the protocol.
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]

use capsules::tock_bootloader::{Exit, Layout, TockBootloader, FLAGS_MAGIC};
use cortexm::nvic::{self, Nvic};
use cortexm::{static_init, Vector};
use kernel::dma::DmaChannel;
use kernel::hil::flash::Flash;
use kernel::hil::uart::{Receive, Transmit};
use kernel::platform::Chip;
use nrf52::clock::Clock;
use nrf52::gpio::{Led, Pin, Pull};
use nrf52::nvmc::{FlashController, Nvmc};
use nrf52::power::Power;
use nrf52::uarte::Uarte;

/// Where the kernel starts (Tock's nrf52840dk-bootloader: after the bootloader's 32 KiB).
const KERNEL_START: u32 = 0x8000;
/// The bootloader's own flash: WRITE_PAGE and ERASE_PAGE refuse it.
const BOOTLOADER_END: usize = 0x8000;
/// Flash of the nRF52840.
const FLASH_SIZE: usize = 1024 * 1024;
/// RAM of the nRF52840.
const RAM: core::ops::Range<u32> = 0x2000_0000..0x2004_0000;
/// GPREGRET value that keeps the bootloader running.
const STAY_MAGIC: u8 = 0x4E;
/// BUTTON1 and LED1 of the DK.
const BUTTON1: (u8, u8) = (0, 11);
const LED1: (u8, u8) = (0, 13);
/// The J-Link virtual COM port.
const UART_TX: (u8, u8) = (0, 6);
const UART_RX: (u8, u8) = (0, 8);
const VERSION: &[u8] = b"1.1.0";

/// The flags block (0x400): "TOCKBOOTLOADER", the version at +14, the start address at +32.
const fn flags() -> [u8; 512] {
    let mut f = [0u8; 512];
    let mut i = 0;
    while i < FLAGS_MAGIC.len() {
        f[i] = FLAGS_MAGIC[i];
        i += 1;
    }
    let mut i = 0;
    while i < VERSION.len() {
        f[14 + i] = VERSION[i];
        i += 1;
    }
    let a = KERNEL_START.to_le_bytes();
    f[32] = a[0];
    f[33] = a[1];
    f[34] = a[2];
    f[35] = a[3];
    f
}

/// One attribute record: 8-byte key, value length, 55-byte value, zero padded.
const fn put_attribute(mut t: [u8; 1024], index: usize, key: &[u8], value: &[u8]) -> [u8; 1024] {
    let at = index * 64;
    let mut i = 0;
    while i < key.len() {
        t[at + i] = key[i];
        i += 1;
    }
    t[at + 8] = value.len() as u8;
    let mut i = 0;
    while i < value.len() {
        t[at + 9 + i] = value[i];
        i += 1;
    }
    t
}

#[link_section = ".flags"]
#[used]
static FLAGS: [u8; 512] = flags();

#[link_section = ".attributes"]
#[used]
static ATTRIBUTES: [u8; 1024] = {
    let t = put_attribute([0; 1024], 0, b"board", b"nrf52840dk");
    let t = put_attribute(t, 1, b"arch", b"cortex-m4");
    let t = put_attribute(t, 2, b"appaddr", b"0x40000");
    put_attribute(t, 3, b"pagesize", b"4096")
};

#[link_section = ".vectors"]
#[used]
static VECTORS: [Vector; 15 + cortexm::IRQS] = cortexm::vector_table(reset_handler);

/// The vector table the bootloader runs with: a RAM copy, so erasing flash page 0 (to change
/// an attribute) never leaves an interrupt without its handler.
#[repr(C, align(256))]
struct RamVectors([u32; 16 + cortexm::IRQS]);
static mut RAM_VECTORS: RamVectors = RamVectors([0; 16 + cortexm::IRQS]);

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    cortexm::halt()
}

/// Entry from reset.
///
/// # Safety
/// Only the hardware calls this, once, through the vector table.
#[no_mangle]
unsafe extern "C" fn reset_handler() {
    // SAFETY: the hardware calls this once at reset, before anything has used RAM.
    unsafe { cortexm::init_ram() };
    let start = start_address();
    if !stay_in_bootloader(start) {
        // SAFETY: `kernel_present` checked the table's stack pointer and reset vector, and no
        // peripheral has been started (only GPIO P0.11 read, POWER's GPREGRET read).
        unsafe { cortexm::jump_to_image(start as usize) }
    }
    run()
}

/// The start address in the flags block.
fn start_address() -> u32 {
    let f = &FLAGS;
    // SAFETY: a volatile read of our own static: SET_START_ADDRESS changes the flash under it.
    let word = unsafe { core::ptr::read_volatile(f.as_ptr().add(32) as *const [u8; 4]) };
    u32::from_le_bytes(word)
}

/// True when `start` holds a vector table: a stack pointer in RAM, a Thumb reset vector in
/// flash after the bootloader.
fn kernel_present(start: u32) -> bool {
    if start as usize % 128 != 0
        || (start as usize) < BOOTLOADER_END
        || start as usize >= FLASH_SIZE
    {
        return false;
    }
    // SAFETY: `start` was checked to lie in the chip's flash, word aligned.
    let (sp, pc) = unsafe {
        (
            core::ptr::read_volatile(start as *const u32),
            core::ptr::read_volatile((start + 4) as *const u32),
        )
    };
    let pc_ok = pc & 1 == 1 && (pc & !1) >= start && ((pc & !1) as usize) < FLASH_SIZE;
    let sp_ok = sp > RAM.start && sp <= RAM.end;
    sp_ok && pc_ok
}

fn stay_in_bootloader(start: u32) -> bool {
    // SAFETY: POWER is at 0x40000000; only the bootloader uses GPREGRET.
    let power = unsafe { Power::new(nrf52::base::POWER) };
    if power.gpregret() == STAY_MAGIC {
        power.set_gpregret(0);
        return true;
    }
    // SAFETY: BUTTON1's pin belongs to the bootloader until it jumps.
    let button = unsafe { Pin::new(BUTTON1.0, BUTTON1.1) };
    button.make_input(Pull::Up);
    // Let the pull-up settle, then take the majority of many samples (contact bounce).
    let mut low = 0u32;
    for i in 0..2000u32 {
        if i >= 1000 && !button.read() {
            low += 1;
        }
    }
    button.make_input(Pull::None);
    if low > 500 {
        return true;
    }
    !kernel_present(start)
}

/// UARTE0 only: the one interrupt the bootloader takes.
struct BootloaderChip {
    uart: &'static Uarte<'static>,
}

impl Chip for BootloaderChip {
    fn service_pending_interrupts(&self) {
        while let Some(line) = nvic::next_pending(nrf52::IRQ_LINES) {
            line.clear_pending();
            if line.0 == nrf52::IRQ_UARTE0 {
                self.uart.handle_interrupt();
                line.enable();
            }
        }
        self.uart.service_deferred();
        kernel::deferred::service();
    }
    fn has_pending_interrupts(&self) -> bool {
        nvic::has_pending(nrf52::IRQ_LINES)
            || self.uart.deferred_pending()
            || kernel::deferred::pending()
    }
    fn sleep(&self) {
        cortexm::interrupts::sleep_unless(|| self.has_pending_interrupts());
    }
}

/// EXIT: reset the chip; the bootloader then starts the kernel.
struct ResetExit;

impl Exit for ResetExit {
    fn exit(&self) {
        cortexm::scb::system_reset()
    }
}

fn run() -> ! {
    // SAFETY: the RAM copy is written once here, before interrupts are enabled, and the table
    // at 0 it copies is this image's own.
    unsafe {
        let table = core::ptr::addr_of_mut!(RAM_VECTORS);
        for i in 0..16 + cortexm::IRQS {
            (*table).0[i] = core::ptr::read_volatile((i * 4) as *const u32);
        }
        cortexm::scb::set_vector_table(table as usize);
    }
    // SAFETY: 0x40000000 is CLOCK; only this board uses it.
    let clock = unsafe { Clock::new(nrf52::base::CLOCK) };
    clock.start_hfxo();
    // SAFETY: LED1's pin belongs to the bootloader.
    Led::new(unsafe { Pin::new(LED1.0, LED1.1) }, true).set(true);

    // SAFETY: the console pins belong to the UARTE only.
    unsafe { Pin::new(UART_TX.0, UART_TX.1) }.make_output(true);
    // SAFETY: as above.
    unsafe { Pin::new(UART_RX.0, UART_RX.1) }.make_input(Pull::None);
    // SAFETY: 0x40002000 is UARTE0 and nothing else drives it.
    let uart = static_init!(Uarte<'static>, unsafe { Uarte::new(nrf52::base::UARTE0) });
    let tx_dma = static_init!(DmaChannel<'static>, DmaChannel::new(&uart.tx));
    let rx_dma = static_init!(DmaChannel<'static>, DmaChannel::new(&uart.rx));
    let rx_byte = static_init!([u8; 1], [0; 1]);
    let debug_buf = static_init!([u8; 4], [0; 4]);
    uart.attach(tx_dma, rx_dma, rx_byte, debug_buf);
    uart.init(UART_TX, UART_RX);

    // SAFETY: the NVMC at its nRF52 address over the chip's whole flash, used only here; the
    // bootloader holds no reference into flash that a write could change (it reads through
    // the driver).
    let nvmc = unsafe { Nvmc::new(nrf52::base::NVMC, 0, FLASH_SIZE) };
    let flash = static_init!(FlashController<'static>, FlashController::new(nvmc));
    let _ = flash.register();
    let exit = static_init!(ResetExit, ResetExit);
    let bootloader = static_init!(
        TockBootloader<'static>,
        TockBootloader::new(
            uart,
            uart,
            flash,
            exit,
            Layout {
                flags: 0x400,
                attributes: 0x600,
                protected_end: BOOTLOADER_END,
            },
            static_init!([u8; 600], [0; 600]),
            static_init!([u8; 600], [0; 600]),
            static_init!([u8; 4096], [0; 4096]),
        )
    );
    uart.set_receive_client(bootloader);
    uart.set_transmit_client(bootloader);
    flash.set_flash_client(bootloader);
    let chip = static_init!(BootloaderChip, BootloaderChip { uart });
    Nvic(nrf52::IRQ_UARTE0).clear_pending();
    Nvic(nrf52::IRQ_UARTE0).enable();
    let _ = uart.start_receive();
    loop {
        chip.service_pending_interrupts();
        chip.sleep();
    }
}
