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
use core::mem::MaybeUninit;
use cortexm::mpu::CortexMpu;
use cortexm::systick::SysTick;
use cortexm::{CortexM, Vector};
use kernel::deferred::DeferredCall;
use kernel::hil::rng::Rng;
use kernel::hil::time::{Alarm, Time};
use kernel::hil::uart::{Receive, Transmit};
use kernel::kernel::{AppRegions, FAULT_PREFIX, VERSION};
use kernel::platform::{
    Chip, FaultInfo, Mpu, Platform, SchedulerTimer, SyscallDriver, UserspaceKernelBoundary,
};
use kernel::process::{FaultPolicy, Process};
use kernel::{kprintln, Kernel};
use mps2::timer::CmsdkAlarm;
use mps2::uart::CmsdkUart;

const APPS_FLASH_START: usize = 0x0004_0000;
const APPS_FLASH_SIZE: usize = 0x000C_0000;
const APPS_RAM_START: usize = 0x2000_8000;
const APPS_RAM_SIZE: usize = 0x0001_8000;
const NUM_PROCS: usize = 8;

/// Wraps board singletons for `static`s.
struct Single<T>(T);
// SAFETY: the kernel runs on one core and interrupt handlers never touch these objects (they
// only mask and pend interrupt lines), so no two contexts access them concurrently.
unsafe impl<T> Sync for Single<T> {}

const NO_PROCESS: Process = Process::new();
static PROCESSES: Single<[Process; NUM_PROCS]> = Single([NO_PROCESS; NUM_PROCS]);
static KERNEL: Single<Kernel> = Single(Kernel::new(&PROCESSES.0));

/// Places a value in its own static and returns a `&'static mut` to it. Call once per site.
macro_rules! static_init {
    ($t:ty, $e:expr) => {{
        static mut BUF: MaybeUninit<$t> = MaybeUninit::uninit();
        let value: $t = $e;
        // SAFETY: each expansion owns its `BUF`, and board setup runs exactly once, so this is
        // the only reference ever made to it.
        unsafe { (*core::ptr::addr_of_mut!(BUF)).write(value) }
    }};
}

/// Kernel attributes (read backwards from the end of kernel flash): TLVs with value, then
/// type and length; then version and reserved bytes; then the sentinel "TOCK".
#[link_section = ".kernel_attributes"]
#[used]
static KERNEL_ATTRIBUTES: [u8; 32] = {
    // (offset, word): kernel flash TLV 0x0102 (start, length), app RAM TLV 0x0101 (start,
    // length), each followed by its type and length halfwords.
    let words: [(usize, u32); 6] = [
        (0, 0x0000_0000),
        (4, 0x0004_0000),
        (8, 0x0102 | (8 << 16)),
        (12, APPS_RAM_START as u32),
        (16, APPS_RAM_SIZE as u32),
        (20, 0x0101 | (8 << 16)),
    ];
    let mut a = [0u8; 32];
    let mut i = 0;
    while i < words.len() {
        let (o, v) = words[i];
        let b = v.to_le_bytes();
        a[o] = b[0];
        a[o + 1] = b[1];
        a[o + 2] = b[2];
        a[o + 3] = b[3];
        i += 1;
    }
    // Version 1, three reserved bytes, then the sentinel.
    a[24] = 1;
    a[28] = b'T';
    a[29] = b'O';
    a[30] = b'C';
    a[31] = b'K';
    a
};

#[link_section = ".vectors"]
#[used]
static VECTORS: [Vector; 15 + cortexm::IRQS] = cortexm::vector_table(reset_handler);

struct Board {
    chip: &'static mps2::Mps2,
    boundary: CortexM,
    mpu: CortexMpu,
    systick: SysTick,
    console: &'static Console<'static>,
    alarm: &'static AlarmDriver<'static>,
    rng: &'static SimpleRng<'static>,
    lldb: &'static LowLevelDebug,
}

impl Platform for Board {
    fn driver(&self, driver_num: u32) -> Option<&dyn SyscallDriver> {
        match driver_num {
            capsules::alarm::DRIVER_NUM => Some(self.alarm),
            capsules::console::DRIVER_NUM => Some(self.console),
            capsules::low_level_debug::DRIVER_NUM => Some(self.lldb),
            capsules::rng::DRIVER_NUM => Some(self.rng),
            _ => None,
        }
    }
    fn chip(&self) -> &dyn Chip {
        self.chip
    }
    fn boundary(&self) -> &dyn UserspaceKernelBoundary {
        &self.boundary
    }
    fn mpu(&self) -> &dyn Mpu {
        &self.mpu
    }
    fn scheduler_timer(&self) -> &dyn SchedulerTimer {
        &self.systick
    }
}

fn panic_policy(p: &Process, f: &FaultInfo) -> ! {
    let (kind, _, _) = kernel::fault::describe(f);
    kprintln!(
        "[kernel] KERNEL PANIC: process '{}' faulted ({}) and its fault policy is panic",
        p.name(),
        kind
    );
    cortexm::halt()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    kprintln!("[kernel] KERNEL PANIC: {}", info);
    cortexm::halt()
}

extern "C" {
    static mut _sdata: u32;
    static mut _edata: u32;
    static _sidata: u32;
    static mut _sbss: u32;
    static mut _ebss: u32;
}

/// Entry from reset: initialise RAM, then run the board.
///
/// # Safety
/// Only the hardware calls this, once, through the vector table.
#[no_mangle]
unsafe extern "C" fn reset_handler() {
    // SAFETY: the linker script defines these symbols around .data (in RAM, loaded from
    // flash at _sidata) and .bss; nothing has used RAM yet, so initialising it is sound.
    unsafe {
        let mut src = core::ptr::addr_of!(_sidata);
        let mut dst = core::ptr::addr_of_mut!(_sdata);
        while dst < core::ptr::addr_of_mut!(_edata) {
            core::ptr::write_volatile(dst, core::ptr::read(src));
            dst = dst.add(1);
            src = src.add(1);
        }
        let mut b = core::ptr::addr_of_mut!(_sbss);
        while b < core::ptr::addr_of_mut!(_ebss) {
            core::ptr::write_volatile(b, 0);
            b = b.add(1);
        }
    }
    main()
}

fn main() -> ! {
    let kernel: &'static Kernel = &KERNEL.0;
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
            systick: SysTick::new(mps2::SYSCLK_HZ),
            console,
            alarm,
            rng,
            lldb,
        }
    );
    kernel.set_panic_hook(panic_policy);

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
