//! Components: the capsule wiring every board repeats, written once.
//!
//! A board (the only composition root) brings its chip's drivers; these functions make the
//! capsules every board offers on top of them, wire their clients and return them, and
//! `boot` does what every board does last (the debug anchor's board name, the panic hook, the
//! apps region, loading the processes, the process console, the scheduler). Each component
//! keeps its objects in statics (`cortexm::static_init!`), so a board calls each one once;
//! a second call panics rather than hand out a second `&'static mut` to the same object.
//!
//! ```ignore
//! let kernel = kernel::static_kernel!(8);
//! let mux = components::alarm_mux(hw_alarm);
//! let alarm = components::alarm(kernel, mux);
//! let console = components::console(kernel, uart);
//! let rng = components::rng(kernel, trng);
//! let lldb = components::low_level_debug(kernel);
//! let pconsole = components::process_console(kernel, uart, "nrf52840dk", MEMORY_INFO);
//! let board = static_init!(Board, Board { chip, boundary: CortexM, mpu, timer, console, alarm, rng, lldb, io });
//! components::boot(kernel, board, pconsole, &BOOT)
//! ```
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

use capsules::alarm::AlarmDriver;
use capsules::console::Console;
use capsules::low_level_debug::LowLevelDebug;
use capsules::process_console::{ProcessConsole, KERNEL_INFO};
use capsules::rng::SimpleRng;
use capsules::virtual_alarm::{MuxAlarm, VirtualAlarm};
use cortexm::static_init;
use kernel::hil::rng::Rng;
use kernel::hil::time::Alarm;
use kernel::hil::uart::{Receive, Transmit};
use kernel::kernel::AppRegions;
use kernel::platform::Platform;
use kernel::process::FaultPolicy;
use kernel::{kprintln, Kernel};

/// Bytes of the console capsule's transmit buffer.
pub const CONSOLE_BUFFER: usize = 128;

/// The mux that shares the hardware alarm `hw` among virtual alarms (the alarm driver's, and
/// any capsule's that needs one).
pub fn alarm_mux(hw: &'static dyn Alarm<'static>) -> &'static MuxAlarm<'static> {
    let mux = static_init!(MuxAlarm<'static>, MuxAlarm::new(hw));
    hw.set_alarm_client(mux);
    mux
}

/// The alarm driver (0x0) on a virtual alarm of `mux`.
pub fn alarm(
    kernel: &'static Kernel,
    mux: &'static MuxAlarm<'static>,
) -> &'static AlarmDriver<'static> {
    let va = static_init!(VirtualAlarm<'static>, VirtualAlarm::new(mux));
    va.setup();
    let alarm = static_init!(
        AlarmDriver<'static>,
        AlarmDriver::new(va, kernel.create_grant(), kernel)
    );
    va.set_alarm_client(alarm);
    alarm
}

/// The console driver (0x1) writing through `uart`, with its transmit buffer.
pub fn console(
    kernel: &'static Kernel,
    uart: &'static dyn Transmit<'static>,
) -> &'static Console<'static> {
    let tx_buf = static_init!([u8; CONSOLE_BUFFER], [0; CONSOLE_BUFFER]);
    let console = static_init!(
        Console<'static>,
        Console::new(uart, tx_buf, kernel.create_grant(), kernel)
    );
    uart.set_transmit_client(console);
    console
}

/// The RNG driver (0x40001) over the random source `source`.
pub fn rng(
    kernel: &'static Kernel,
    source: &'static dyn Rng<'static>,
) -> &'static SimpleRng<'static> {
    let rng = static_init!(
        SimpleRng<'static>,
        SimpleRng::new(source, kernel.create_grant(), kernel)
    );
    source.set_client(rng);
    rng
}

/// The low-level debug driver (0x8).
pub fn low_level_debug(kernel: &'static Kernel) -> &'static LowLevelDebug {
    static_init!(LowLevelDebug, LowLevelDebug::new(kernel))
}

/// The process console on `uart`'s input (it owns the console's input), with the memory
/// line its `kernel` command prints; receiving starts here, the prompt in `boot`.
pub fn process_console(
    kernel: &'static Kernel,
    uart: &'static dyn Receive<'static>,
    board_name: &'static str,
    memory_info: &'static str,
) -> &'static ProcessConsole {
    let pconsole = static_init!(ProcessConsole, ProcessConsole::new(kernel, board_name));
    uart.set_receive_client(pconsole);
    let _ = uart.start_receive();
    KERNEL_INFO.set(memory_info);
    pconsole
}

/// What `boot` needs to know about the board.
pub struct Boot {
    /// The board's name (the debug anchor's `board_name`).
    pub name: &'static str,
    /// Apps flash: start address and length (TBFs back to back from the start).
    pub apps_flash: (usize, usize),
    /// App RAM: start address and length.
    pub apps_ram: (usize, usize),
    /// What a faulting process gets.
    pub policy: FaultPolicy,
}

/// Loads the apps, starts the process console and runs the scheduler (never returns).
pub fn boot(
    kernel: &'static Kernel,
    board: &'static dyn Platform,
    pconsole: &'static ProcessConsole,
    cfg: &Boot,
) -> ! {
    kernel::anchor::set_board_name(cfg.name);
    kernel.set_panic_hook(cortexm::process_panic);
    // SAFETY: the apps flash region is memory (on-chip flash, or SSRAM1 on mps2-an386) that
    // nothing writes while the kernel runs (no board drives the NVMC); the kernel only reads
    // TBF headers and names from it.
    let flash: &'static [u8] =
        unsafe { core::slice::from_raw_parts(cfg.apps_flash.0 as *const u8, cfg.apps_flash.1) };
    let regions = AppRegions {
        flash,
        flash_base: cfg.apps_flash.0,
        ram_start: cfg.apps_ram.0,
        ram_size: cfg.apps_ram.1,
    };
    kernel.load_processes(board, regions, cfg.policy);
    kprintln!("[kernel] process console ready; type help");
    pconsole.start();
    kernel.run()
}
