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

use capsules::rng::PseudoRandom;
use components::Boot;
use cortexm::mpu::CortexMpu;
use cortexm::systick::SysTick;
use cortexm::{static_init, CortexM, Vector};
use kernel::deferred::DeferredCall;
use kernel::hil::time::Time;
use kernel::kernel::VERSION;
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
    let mux = components::alarm_mux(hw_alarm);
    let alarm = components::alarm(kernel, mux);
    let console = components::console(kernel, uart);

    let prng = static_init!(
        PseudoRandom<'static>,
        PseudoRandom::new(hw_alarm.now() ^ 0x5eed_1234)
    );
    if let Some(dc) = DeferredCall::register(prng) {
        prng.set_deferred_call(dc);
    }
    let rng = components::rng(kernel, prng);
    let lldb = components::low_level_debug(kernel);
    let pconsole = components::process_console(kernel, uart, "mps2-an386", "Memory: kernel flash 0x00000000-0x0003ffff, apps flash 0x00040000-0x000fffff, kernel RAM 0x20000000-0x20007fff, app RAM 0x20008000-0x2001ffff");

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
    components::boot(
        kernel,
        board,
        pconsole,
        &Boot {
            name: "mps2-an386",
            apps_flash: (APPS_FLASH_START, APPS_FLASH_SIZE),
            apps_ram: (APPS_RAM_START, APPS_RAM_SIZE),
            policy: FaultPolicy::RestartUpTo(3),
        },
    )
}
