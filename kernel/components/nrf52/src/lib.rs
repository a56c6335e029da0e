//! Board composition shared by the nRF52 boards (nrf52840dk, microbit-v2): each board's
//! `main.rs` gives a `BoardConfig` (name, chip variant, console pins, LEDs, buttons) and
//! expands `board_main!` (kernel attributes, vector table, panic and reset handlers), and this
//! crate builds the same kernel as mps2-an386 on it.
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
//! statics, kernel attributes), `cortexm` (`static_init!`, RAM set-up at reset, panic reports),
//! `capsules::board` (the `Platform` impl) and `components` (the capsules every board wires:
//! alarm, console, RNG, low-level debug, process console, and the boot sequence).
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

use capsules::board::BoardIo;
use capsules::button::ButtonDriver;
use capsules::gpio::GpioDriver;
use capsules::led::LedDriver;
use capsules::temperature::TemperatureSensor;
use cells::OptionalCell;
use components::Boot;
use cortexm::mpu::CortexMpu;
use cortexm::systick::SysTick;
use cortexm::{static_init, CortexM};
use kernel::dma::DmaChannel;
use kernel::hil::gpio::{Edge as HilEdge, InterruptClient, Interrupts};
use kernel::hil::sensors::TemperatureDriver;
use kernel::kernel::VERSION;
use kernel::process::FaultPolicy;
use kernel::{kprintln, Kernel};
use nrf52::clock::Clock;
use nrf52::gpio::{Edge, Gpiote, GpioteClient, Led, Pin, Pull};
use nrf52::rng::Trng;
use nrf52::rtc::RtcAlarm;
use nrf52::temp::Temp;
use nrf52::timer::FreeTimer;
use nrf52::uarte::Uarte;
use nrf52::Variant;

/// Apps flash start (the rest of flash is for apps).
pub const APPS_FLASH_START: usize = 0x0004_0000;
/// App RAM start.
pub const APPS_RAM_START: usize = 0x2000_8000;
/// App RAM size (ends at 0x20020000, inside the nRF52833's 128 KiB as well).
pub const APPS_RAM_SIZE: usize = 0x0001_8000;
/// Process slots of the nRF52 boards.
pub const NUM_PROCS: usize = 8;

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
    /// LEDs the LED driver (0x2) offers apps: (port, pin, active low).
    pub app_leds: &'static [(u8, u8, bool)],
    /// Pins the GPIO driver (0x4) offers apps, numbered from 0.
    pub gpio_pins: &'static [(u8, u8)],
    /// Memory line of the process console's `kernel` command.
    pub memory_info: &'static str,
}

/// Pins of the board's drivers: room for the largest board.
const MAX_PINS: usize = 8;

/// GPIOTE channels: buttons first (0 up), then GPIO pins with interrupts.
struct PinEvents {
    gpiote: &'static Gpiote<'static>,
    buttons: usize,
    button_pins: [Pin; MAX_PINS],
    gpio_pins: [Pin; MAX_PINS],
    gpio_count: usize,
    button_client: OptionalCell<&'static ButtonDriver<'static>>,
    gpio_client: OptionalCell<&'static GpioDriver<'static>>,
}

/// Edge interrupts for the button driver's pins (GPIOTE channel = button index).
struct ButtonEvents(&'static PinEvents);
/// Edge interrupts for the GPIO driver's pins (channel = number of buttons + pin index).
struct GpioEvents(&'static PinEvents);

fn edge(e: HilEdge) -> Edge {
    match e {
        HilEdge::Rising => Edge::Rising,
        HilEdge::Falling => Edge::Falling,
        HilEdge::Either => Edge::Both,
    }
}

impl Interrupts for ButtonEvents {
    fn enable(&self, index: usize, e: HilEdge) -> Result<(), kernel::ErrorCode> {
        if index >= self.0.buttons {
            return Err(kernel::ErrorCode::Invalid);
        }
        self.0
            .gpiote
            .watch(index, &self.0.button_pins[index], edge(e));
        Ok(())
    }
    fn disable(&self, index: usize) {
        if index < self.0.buttons {
            self.0.gpiote.unwatch(index);
        }
    }
}

impl Interrupts for GpioEvents {
    fn enable(&self, index: usize, e: HilEdge) -> Result<(), kernel::ErrorCode> {
        let channel = self.0.buttons + index;
        if index >= self.0.gpio_count || channel >= nrf52::gpio::GPIOTE_CHANNELS {
            return Err(kernel::ErrorCode::Invalid);
        }
        self.0
            .gpiote
            .watch(channel, &self.0.gpio_pins[index], edge(e));
        Ok(())
    }
    fn disable(&self, index: usize) {
        if index < self.0.gpio_count {
            self.0.gpiote.unwatch(self.0.buttons + index);
        }
    }
}

impl GpioteClient for PinEvents {
    fn fired(&self, channel: usize) {
        if channel < self.buttons {
            // Buttons are active low: a press is reported on the console, as before.
            if !self.button_pins[channel].read() {
                kprintln!("[board] button {} pressed", channel + 1);
            }
            self.button_client.map(|b| b.fired(channel));
        } else {
            self.gpio_client.map(|g| g.fired(channel - self.buttons));
        }
    }
}

/// Pins for `list` (port, pin); the rest of the array are unused copies of P0.00.
fn pins(list: impl Iterator<Item = (u8, u8)>) -> [Pin; MAX_PINS] {
    // SAFETY: each listed pin is configured only by the one driver the board gives it to; the
    // filler entries are never used.
    let mut out = [unsafe { Pin::new(0, 0) }; MAX_PINS];
    for (slot, (port, pin)) in out.iter_mut().zip(list) {
        // SAFETY: as above.
        *slot = unsafe { Pin::new(port, pin) };
    }
    out
}

/// The kernel attributes every nRF52 board ends its kernel flash with, for a kernel linked at
/// `kernel_flash_start` (0, or 0x8000 after Tock's serial bootloader): kernel flash runs from
/// there up to the apps. The boards place them in `.kernel_attributes` (see
/// `kernel::board::attributes`).
pub const fn kernel_attributes(kernel_flash_start: usize) -> [u8; 32] {
    kernel::board::attributes(
        (kernel_flash_start, APPS_FLASH_START - kernel_flash_start),
        (APPS_RAM_START, APPS_RAM_SIZE),
    )
}

/// What a board binary needs to be `cortexm`'s kernel image (re-exported for `board_main!`).
#[doc(hidden)]
pub use cortexm as __cortexm;
#[doc(hidden)]
pub use kernel as __kernel;

/// The start-up every nRF52 board's `main.rs` shares: its kernel attributes, the vector table,
/// the panic handler and the reset handler (RAM set-up, the kernel's statics, then `run`).
///
/// A macro, not a function, because these items must live in the board's binary crate: the
/// vector table and attributes are placed by its linker script, `#[panic_handler]` belongs to
/// the binary, and the kernel's statics (`kernel::static_kernel!` inside `reset_handler`) keep
/// the names the debugger and its tests look up, `<board>::reset_handler::KERNEL` and
/// `<board>::reset_handler::PROCESSES`, with `CAPSULE_DEBUG_ANCHOR` beside them.
///
/// `$config` is the board's `static BoardConfig`, `$kernel_flash_start` where its kernel is
/// linked (0, or 0x8000 after Tock's serial bootloader).
///
/// ```ignore
/// static CONFIG: BoardConfig = BoardConfig { name: "nrf52840dk", /* ... */ };
/// nrf52_components::board_main!(CONFIG, 0);
/// ```
#[macro_export]
macro_rules! board_main {
    ($config:ident, $kernel_flash_start:expr) => {
        /// Kernel attributes (the last 32 bytes of kernel flash, see `kernel::board::attributes`).
        #[link_section = ".kernel_attributes"]
        #[used]
        static KERNEL_ATTRIBUTES: [u8; 32] = $crate::kernel_attributes($kernel_flash_start);

        #[link_section = ".vectors"]
        #[used]
        static VECTORS: [$crate::__cortexm::Vector; 15 + $crate::__cortexm::IRQS] =
            $crate::__cortexm::vector_table(reset_handler);

        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo) -> ! {
            $crate::__cortexm::kernel_panic(info)
        }

        /// Entry from reset: initialise RAM, then run the board.
        ///
        /// # Safety
        /// Only the hardware calls this, once, through the vector table.
        #[no_mangle]
        unsafe extern "C" fn reset_handler() {
            // SAFETY: the hardware calls this once at reset, before anything has used RAM.
            unsafe { $crate::__cortexm::init_ram() };
            let kernel = $crate::__kernel::static_kernel!($crate::NUM_PROCS);
            $crate::run(kernel, &$config)
        }
    };
}

type Board = capsules::board::Board<nrf52::Nrf52, CortexM, CortexMpu, SysTick>;

/// Builds the board `cfg` around `kernel` (the board's `kernel::static_kernel!(NUM_PROCS)`,
/// declared in its binary crate) and runs it.
pub fn run(kernel: &'static Kernel, cfg: &'static BoardConfig) -> ! {
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
    let mux = components::alarm_mux(hw_alarm);
    let alarm = components::alarm(kernel, mux);
    let console = components::console(kernel, uart);

    // SAFETY: the RNG at its nRF52 address, used only here.
    let trng = static_init!(Trng<'static>, unsafe { Trng::new(nrf52::base::RNG) });
    let rng = components::rng(kernel, trng);
    let lldb = components::low_level_debug(kernel);
    let pconsole = components::process_console(kernel, uart, cfg.name, cfg.memory_info);

    // The LED driver turns its LEDs off; then the boot pattern lights what it lights.
    let led_pins = static_init!(
        [Pin; MAX_PINS],
        pins(cfg.app_leds.iter().map(|l| (l.0, l.1)))
    );
    let led_table = static_init!(
        [(&'static dyn kernel::hil::gpio::Pin, bool); MAX_PINS],
        core::array::from_fn(|i| {
            let active_low = cfg.app_leds.get(i).map_or(false, |l| l.2);
            (&led_pins[i] as &dyn kernel::hil::gpio::Pin, active_low)
        })
    );
    let leds = static_init!(
        LedDriver<'static>,
        LedDriver::new(&led_table[..cfg.app_leds.len().min(MAX_PINS)])
    );
    for (i, &(port, pin, active_low)) in cfg.leds.iter().enumerate() {
        // SAFETY: the boot pattern's pins are driven only by the board (and the LED driver).
        let led = Led::new(unsafe { Pin::new(port, pin) }, active_low);
        led.set(cfg.lit_at_boot.contains(&i));
    }
    // SAFETY: GPIOTE at its nRF52 address, used only here.
    let gpiote = static_init!(Gpiote<'static>, unsafe { Gpiote::new(nrf52::base::GPIOTE) });
    let events = static_init!(
        PinEvents,
        PinEvents {
            gpiote,
            buttons: cfg.buttons.len().min(MAX_PINS),
            button_pins: pins(cfg.buttons.iter().copied()),
            gpio_pins: pins(cfg.gpio_pins.iter().copied()),
            gpio_count: cfg.gpio_pins.len().min(MAX_PINS),
            button_client: OptionalCell::empty(),
            gpio_client: OptionalCell::empty(),
        }
    );
    gpiote.set_client(events);
    let button_table = static_init!(
        [(&'static dyn kernel::hil::gpio::Pin, bool); MAX_PINS],
        core::array::from_fn(|i| (&events.button_pins[i] as &dyn kernel::hil::gpio::Pin, true))
    );
    let button_events = static_init!(ButtonEvents, ButtonEvents(events));
    let buttons = static_init!(
        ButtonDriver<'static>,
        ButtonDriver::new(
            &button_table[..events.buttons],
            button_events,
            kernel.create_grant(),
            kernel
        )
    );
    events.button_client.set(buttons);
    let gpio_table = static_init!(
        [&'static dyn kernel::hil::gpio::Pin; MAX_PINS],
        core::array::from_fn(|i| &events.gpio_pins[i] as &dyn kernel::hil::gpio::Pin)
    );
    let gpio_events = static_init!(GpioEvents, GpioEvents(events));
    let gpio = static_init!(
        GpioDriver<'static>,
        GpioDriver::new(&gpio_table[..events.gpio_count], gpio_events, kernel)
    );
    events.gpio_client.set(gpio);

    // SAFETY: TEMP at its nRF52 address, used only by this driver.
    let temp = static_init!(Temp<'static>, unsafe { Temp::new(nrf52::base::TEMP) });
    let temperature = static_init!(
        TemperatureSensor<'static>,
        TemperatureSensor::new(temp, kernel.create_grant(), kernel)
    );
    temp.set_client(temperature);

    let chip = static_init!(
        nrf52::Nrf52,
        nrf52::Nrf52 {
            uarte0: uart,
            rtc1: hw_alarm,
            rng: trng,
            gpiote,
            temp,
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
            io: BoardIo {
                leds: Some(leds),
                buttons: Some(buttons),
                gpio: Some(gpio),
                temperature: Some(temperature),
            },
        }
    );
    components::boot(
        kernel,
        board,
        pconsole,
        &Boot {
            name: cfg.name,
            apps_flash: (APPS_FLASH_START, cfg.variant.flash_size - APPS_FLASH_START),
            apps_ram: (APPS_RAM_START, APPS_RAM_SIZE),
            policy: FaultPolicy::RestartUpTo(3),
        },
    )
}
