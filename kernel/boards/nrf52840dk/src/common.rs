//! Board composition shared by the nRF52 boards (nrf52840dk, microbit_v2): each board's
//! `main.rs` gives a `BoardConfig` (name, chip variant, console pins, LEDs, buttons) and this
//! module builds the same kernel as mps2-an386 on it.
//!
//! Boot: HFXO and the LF crystal are started (CLOCK), UARTE0 becomes the console at 115200
//! 8N1 through EasyDMA, RTC1 (32768 Hz, extended to 32 bits) drives the alarm capsule,
//! TIMER0 free-runs at 1 MHz, the hardware RNG (bias correction on) feeds SimpleRng, the
//! board's LEDs are set up (some lit at boot) and its buttons report presses through GPIOTE
//! as `[board] button N pressed`. Then the apps are loaded from 0x40000 and the scheduler
//! runs, with SysTick at the 64 MHz core clock as the timeslice timer. The `[kernel]` lines
//! are those of mps2-an386.
//!
//! What every board shares lives with the crates, not here: `kernel::board` (the kernel's
//! statics, kernel attributes), `cortexm` (`static_init!`, RAM set-up at reset, panic reports)
//! and `capsules::board` (the `Platform` impl).

use capsules::alarm::AlarmDriver;
use capsules::console::Console;
use capsules::low_level_debug::LowLevelDebug;
use capsules::process_console::{ProcessConsole, KERNEL_INFO};
use capsules::rng::SimpleRng;
use capsules::virtual_alarm::{MuxAlarm, VirtualAlarm};
use cortexm::mpu::CortexMpu;
use cortexm::systick::SysTick;
use cortexm::{static_init, CortexM, Vector};
use kernel::dma::DmaChannel;
use kernel::hil::rng::Rng;
use kernel::hil::time::Alarm;
use kernel::hil::uart::{Receive, Transmit};
use kernel::kernel::{AppRegions, FAULT_PREFIX, VERSION};
use kernel::process::FaultPolicy;
use kernel::{kprintln, Kernel};
use nrf52::clock::Clock;
use nrf52::gpio::{Edge, Gpiote, GpioteClient, Led, Pin, Pull};
use nrf52::rng::Trng;
use nrf52::rtc::RtcAlarm;
use nrf52::timer::FreeTimer;
use nrf52::uarte::Uarte;
use nrf52::Variant;

/// Kernel flash: the first 256 KiB.
pub const KERNEL_FLASH_SIZE: usize = 0x0004_0000;
/// Apps flash start (the rest of flash is for apps).
pub const APPS_FLASH_START: usize = 0x0004_0000;
/// App RAM start.
pub const APPS_RAM_START: usize = 0x2000_8000;
/// App RAM size (ends at 0x20020000, inside the nRF52833's 128 KiB as well).
pub const APPS_RAM_SIZE: usize = 0x0001_8000;
const NUM_PROCS: usize = 8;

/// What differs between the nRF52 boards.
pub struct BoardConfig {
    /// Board name (transcript and process console).
    pub name: &'static str,
    /// The chip.
    pub variant: Variant,
    /// Console TX (port, pin).
    pub uart_tx: (u8, u8),
    /// Console RX (port, pin).
    pub uart_rx: (u8, u8),
    /// LED drive pins: (port, pin, active low). All start off.
    pub leds: &'static [(u8, u8, bool)],
    /// Indices into `leds` lit at boot.
    pub lit_at_boot: &'static [usize],
    /// Buttons (port, pin), active low: button N is entry N-1, on GPIOTE channel N-1.
    pub buttons: &'static [(u8, u8)],
    /// Memory line of the process console's `kernel` command.
    pub memory_info: &'static str,
}

/// Kernel attributes (the last 32 bytes of kernel flash, see `kernel::board::attributes`).
#[link_section = ".kernel_attributes"]
#[used]
static KERNEL_ATTRIBUTES: [u8; 32] =
    kernel::board::attributes((0, KERNEL_FLASH_SIZE), (APPS_RAM_START, APPS_RAM_SIZE));

#[link_section = ".vectors"]
#[used]
static VECTORS: [Vector; 15 + cortexm::IRQS] = cortexm::vector_table(reset_handler);

type Board = capsules::board::Board<nrf52::Nrf52, CortexM, CortexMpu, SysTick>;

/// Prints button presses.
struct Buttons;

impl GpioteClient for Buttons {
    fn fired(&self, channel: usize) {
        kprintln!("[board] button {} pressed", channel + 1);
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    cortexm::kernel_panic(info)
}

/// Entry from reset: initialise RAM, then run the board.
///
/// # Safety
/// Only the hardware calls this, once, through the vector table.
#[no_mangle]
unsafe extern "C" fn reset_handler() {
    // SAFETY: the hardware calls this once at reset, before anything has used RAM.
    unsafe { cortexm::init_ram() };
    crate::main()
}

/// Builds the kernel for `cfg` and runs it.
pub fn run(cfg: &'static BoardConfig) -> ! {
    let kernel: &'static Kernel = kernel::static_kernel!(NUM_PROCS);
    cortexm::scb::enable_fault_handlers();

    // SAFETY: 0x40000000 is CLOCK on every nRF52 and only this driver uses it.
    let clock = unsafe { Clock::new(nrf52::base::CLOCK) };
    let hfxo = clock.start_hfxo();
    let lfxo = clock.start_lfxo();

    // The UARTE drives TXD and reads RXD once enabled; the pins are prepared as the PS's
    // GPIO table for the UARTE suggests (TXD output high, RXD input).
    // SAFETY: the console pins belong to the UARTE only.
    unsafe { Pin::new(cfg.uart_tx.0, cfg.uart_tx.1) }.make_output(true);
    // SAFETY: as above.
    unsafe { Pin::new(cfg.uart_rx.0, cfg.uart_rx.1) }.make_input(Pull::None);
    // SAFETY: 0x40002000 is UARTE0 and nothing else drives it.
    let uart = static_init!(Uarte<'static>, unsafe { Uarte::new(nrf52::base::UARTE0) });
    let tx_dma = static_init!(DmaChannel<'static>, DmaChannel::new(&uart.tx));
    let rx_dma = static_init!(DmaChannel<'static>, DmaChannel::new(&uart.rx));
    let rx_buf = static_init!([u8; 1], [0; 1]);
    let debug_buf = static_init!([u8; 64], [0; 64]);
    uart.attach(tx_dma, rx_dma, rx_buf, debug_buf);
    uart.init(cfg.uart_tx, cfg.uart_rx);
    kernel::debug::set_writer(uart);
    kprintln!("Capsule kernel {} on {}", VERSION, cfg.name);
    if !hfxo || !lfxo {
        kprintln!(
            "[board] clock start timed out (HFXO {}, LFXO {})",
            if hfxo { "ok" } else { "no" },
            if lfxo { "ok" } else { "no" }
        );
    }

    // SAFETY: TIMER0 at its nRF52 address, used only here.
    let timer0 = static_init!(FreeTimer, unsafe { FreeTimer::new(nrf52::base::TIMER0) });
    timer0.init();

    // SAFETY: RTC1 at its nRF52 address, used only by this alarm.
    let hw_alarm = static_init!(RtcAlarm<'static>, unsafe {
        RtcAlarm::new(nrf52::base::RTC1)
    });
    hw_alarm.init();
    let mux = static_init!(MuxAlarm<'static>, MuxAlarm::new(hw_alarm));
    hw_alarm.set_alarm_client(mux);
    let va = static_init!(VirtualAlarm<'static>, VirtualAlarm::new(mux));
    va.setup();
    let alarm = static_init!(
        AlarmDriver<'static>,
        AlarmDriver::new(va, kernel.create_grant(), kernel)
    );
    va.set_alarm_client(alarm);

    let tx_buf = static_init!([u8; 128], [0; 128]);
    let console = static_init!(
        Console<'static>,
        Console::new(uart, tx_buf, kernel.create_grant(), kernel)
    );
    uart.set_transmit_client(console);

    // SAFETY: the RNG at its nRF52 address, used only here.
    let trng = static_init!(Trng<'static>, unsafe { Trng::new(nrf52::base::RNG) });
    let rng = static_init!(
        SimpleRng<'static>,
        SimpleRng::new(trng, kernel.create_grant(), kernel)
    );
    trng.set_client(rng);

    let lldb = static_init!(LowLevelDebug, LowLevelDebug::new(kernel));

    let pconsole = static_init!(ProcessConsole, ProcessConsole::new(kernel, cfg.name));
    uart.set_receive_client(pconsole);
    let _ = uart.start_receive();
    KERNEL_INFO.set(cfg.memory_info);

    for (i, &(port, pin, active_low)) in cfg.leds.iter().enumerate() {
        // SAFETY: LED pins are driven only by the board.
        let led = Led::new(unsafe { Pin::new(port, pin) }, active_low);
        led.set(cfg.lit_at_boot.contains(&i));
    }
    // SAFETY: GPIOTE at its nRF52 address, used only here.
    let gpiote = static_init!(Gpiote<'static>, unsafe { Gpiote::new(nrf52::base::GPIOTE) });
    let buttons = static_init!(Buttons, Buttons);
    gpiote.set_client(buttons);
    for (ch, &(port, pin)) in cfg.buttons.iter().enumerate() {
        // SAFETY: button pins are read only through GPIOTE.
        let p = unsafe { Pin::new(port, pin) };
        p.make_input(Pull::Up);
        gpiote.watch(ch, &p, Edge::Falling);
    }

    let chip = static_init!(
        nrf52::Nrf52,
        nrf52::Nrf52 {
            uarte0: uart,
            rtc1: hw_alarm,
            rng: trng,
            gpiote,
        }
    );
    chip.enable_interrupts();

    let board = static_init!(
        Board,
        Board {
            chip,
            boundary: CortexM,
            mpu: CortexMpu::new(),
            timer: SysTick::new(nrf52::CPU_HZ),
            console,
            alarm,
            rng,
            lldb,
        }
    );
    kernel.set_panic_hook(cortexm::process_panic);

    let apps_flash_size = cfg.variant.flash_size - APPS_FLASH_START;
    // SAFETY: the apps flash region is on-chip flash that nothing writes while the kernel
    // runs (the NVMC driver is not used by this board); the kernel only reads TBF headers and
    // names from it.
    let apps_flash: &'static [u8] =
        unsafe { core::slice::from_raw_parts(APPS_FLASH_START as *const u8, apps_flash_size) };
    let regions = AppRegions {
        flash: apps_flash,
        flash_base: APPS_FLASH_START,
        ram_start: APPS_RAM_START,
        ram_size: APPS_RAM_SIZE,
    };
    let _ = FAULT_PREFIX;
    kernel.load_processes(board, regions, FaultPolicy::RestartUpTo(3));
    kprintln!("[kernel] process console ready; type help");
    pconsole.start();
    kernel.run()
}
