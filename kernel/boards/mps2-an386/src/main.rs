//! Board: QEMU's mps2-an386, the only composition root of the kernel.
//!
//! Creates every driver and capsule, wires clients, loads the apps from flash at 0x40000 and
//! runs the scheduler. Boot transcript (stable lines that tests match):
//!
//! ```text
//! Capsule kernel 0.1.0 on mps2-an386
//! [kernel] loaded process 'hello' (pid 0): flash 0x00040000-0x00042000, RAM 0x20008000-0x2000a400
//! [kernel] 1 process(es) loaded
//! [kernel] process console ready; type help
//! ```
#![no_std]
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]

use capsules::alarm::AlarmDriver;
use capsules::console::Console;
use capsules::low_level_debug::LowLevelDebug;
use capsules::process_console::{ProcessConsole, KERNEL_INFO};
use capsules::rng::{PseudoRandom, SimpleRng};
use capsules::virtual_alarm::{MuxAlarm, VirtualAlarm};
use cortexm::mpu::CortexMpu;
use cortexm::systick::SysTick;
use cortexm::{static_init, CortexM, Vector};
use kernel::deferred::DeferredCall;
use kernel::hil::rng::Rng;
use kernel::hil::time::{Alarm, Time};
use kernel::hil::uart::{Receive, Transmit};
use kernel::kernel::{AppRegions, FAULT_PREFIX, VERSION};
use kernel::process::FaultPolicy;
use kernel::{kprintln, Kernel};
use mps2::timer::CmsdkAlarm;
use mps2::uart::CmsdkUart;

const APPS_FLASH_START: usize = 0x0004_0000;
const APPS_FLASH_SIZE: usize = 0x000C_0000;
const APPS_RAM_START: usize = 0x2000_8000;
const APPS_RAM_SIZE: usize = 0x0001_8000;
const NUM_PROCS: usize = 8;

/// Kernel attributes (the last 32 bytes of kernel flash, see `kernel::board::attributes`).
#[link_section = ".kernel_attributes"]
#[used]
static KERNEL_ATTRIBUTES: [u8; 32] =
    kernel::board::attributes((0, 0x0004_0000), (APPS_RAM_START, APPS_RAM_SIZE));

#[link_section = ".vectors"]
#[used]
static VECTORS: [Vector; 15 + cortexm::IRQS] = cortexm::vector_table(reset_handler);

type Board = capsules::board::Board<mps2::Mps2, CortexM, CortexMpu, SysTick>;

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
    main()
}

fn main() -> ! {
    let kernel: &'static Kernel = kernel::static_kernel!(NUM_PROCS);
    cortexm::scb::enable_fault_handlers();

    // SAFETY: 0x40004000 is UART0 on mps2-an386 and nothing else drives it.
    let uart = static_init!(CmsdkUart<'static>, unsafe { CmsdkUart::new(0x4000_4000) });
    uart.init();
    kernel::debug::set_writer(uart);
    kprintln!("Capsule kernel {} on mps2-an386", VERSION);

    // SAFETY: CMSDK timers 1 (counter) and 0 (alarm) at their mps2-an386 addresses, used only here.
    let hw_alarm = static_init!(CmsdkAlarm<'static>, unsafe {
        CmsdkAlarm::new(0x4000_1000, 0x4000_0000, mps2::SYSCLK_HZ)
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

    let prng = static_init!(
        PseudoRandom<'static>,
        PseudoRandom::new(hw_alarm.now() ^ 0x5eed_1234)
    );
    if let Some(dc) = DeferredCall::register(prng) {
        prng.set_deferred_call(dc);
    }
    let rng = static_init!(
        SimpleRng<'static>,
        SimpleRng::new(prng, kernel.create_grant(), kernel)
    );
    prng.set_client(rng);

    let lldb = static_init!(LowLevelDebug, LowLevelDebug::new(kernel));

    let pconsole = static_init!(ProcessConsole, ProcessConsole::new(kernel, "mps2-an386"));
    uart.set_receive_client(pconsole);
    let _ = uart.start_receive();
    KERNEL_INFO.set("Memory: kernel flash 0x00000000-0x0003ffff, apps flash 0x00040000-0x000fffff, kernel RAM 0x20000000-0x20007fff, app RAM 0x20008000-0x2001ffff");

    let chip = static_init!(
        mps2::Mps2,
        mps2::Mps2 {
            uart0: uart,
            alarm: hw_alarm
        }
    );
    chip.enable_interrupts();

    let board = static_init!(
        Board,
        Board {
            chip,
            boundary: CortexM,
            mpu: CortexMpu::new(),
            timer: SysTick::new(mps2::SYSCLK_HZ),
            console,
            alarm,
            rng,
            lldb,
            io: capsules::board::BoardIo::default(),
        }
    );
    kernel.set_panic_hook(cortexm::process_panic);

    // SAFETY: the apps flash region is plain memory (SSRAM1 on this board) that nothing writes
    // while the kernel runs; the kernel only reads TBF headers and names from it.
    let apps_flash: &'static [u8] =
        unsafe { core::slice::from_raw_parts(APPS_FLASH_START as *const u8, APPS_FLASH_SIZE) };
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
