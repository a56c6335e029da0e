//! Process and fault reports in Tock 2.x's text formats, so tools and people used to Tock's
//! output read ours the same way.
//!
//! - [`print_overview`]: Tock's `ProcessPrinterText::print_overview` (kernel/src/process_printer.rs):
//!   the `𝐀𝐩𝐩: name   -   [State]` block, the statistics lines, and the memory map. The process
//!   console's `process <name>` prints it; so does the panic report.
//! - [`print_fault_status`]: the "---| Cortex-M Fault Status |---" block of Tock's cortex-m
//!   crate (`print_cortexm_state`): one line per set CFSR/HFSR bit, the valid fault addresses,
//!   then CFSR and HFSR in hex.
//! - [`print_registers`]: the register part of Tock's `print_context` (arch/cortex-m/src/syscall.rs).
//!
//! Differences (the kernel keeps its process bookkeeping in kernel statics, not in the
//! process's RAM block, and does not learn the heap/stack split): "Grant Ptrs", "Upcalls" and
//! "Process" are 0 bytes, heap/data/stack print "?" as Tock does when an app did not report them
//! (memop 10/11), and the registers r0-r3, r12, LR and xPSR (stacked in process memory) are not
//! shown: only r4-r11, SP and PC, which the kernel holds.

use crate::platform::FaultInfo;
use crate::process::Process;
use crate::{kprint, kprintln};

/// Tock's `Syscall` Debug form of a recorded system call (class = svc number, r0-r3).
fn print_syscall(class: u8, a: [u32; 4]) {
    match class {
        0 => kprint!("Yield {{ which: {}, param_a: {}, param_b: {} }}", a[0], a[1], a[2]),
        1 => kprint!(
            "Subscribe {{ driver_number: {}, subdriver_number: {}, upcall_ptr: {:#x}, appdata: {} }}",
            a[0],
            a[1],
            a[2],
            a[3]
        ),
        2 => kprint!(
            "Command {{ driver_number: {}, subdriver_number: {}, arg0: {}, arg1: {} }}",
            a[0],
            a[1],
            a[2],
            a[3]
        ),
        3 | 4 | 7 => kprint!(
            "{} {{ driver_number: {}, subdriver_number: {}, allow_address: {:#x}, allow_size: {} }}",
            match class {
                3 => "ReadWriteAllow",
                4 => "ReadOnlyAllow",
                _ => "UserspaceReadableAllow",
            },
            a[0],
            a[1],
            a[2],
            a[3]
        ),
        5 => kprint!("Memop {{ operand: {}, arg0: {} }}", a[0], a[1]),
        6 => kprint!("Exit {{ which: {}, completion_code: {} }}", a[0], a[1]),
        _ => kprint!("Unknown {{ class: {} }}", class),
    }
}

/// Tock's process overview (`ProcessPrinterText::print_overview`).
pub fn print_overview(p: &Process) {
    let l = p.layout();
    let state = match p.state() {
        crate::process::State::Faulted => "Faulted",
        s => s.name(),
    };
    kprintln!("𝐀𝐩𝐩: {}   -   [{}]", p.name(), state);
    kprintln!(
        " Events Queued: {}   Syscall Count: {}   Dropped Upcall Count: {}",
        p.upcalls_pending(),
        p.syscall_count(),
        p.upcalls_dropped()
    );
    kprintln!(" Restart Count: {}", p.restarts());
    match p.last_syscall() {
        Some((class, args)) => {
            kprint!(" Last Syscall: ");
            print_syscall(class, args);
            kprintln!("");
        }
        None => kprintln!(" Last Syscall: None"),
    }
    match (p.state(), p.completion_code()) {
        (crate::process::State::Faulted, _) => kprintln!(" Completion Code: Faulted"),
        (_, Some(c)) => kprintln!(" Completion Code: {}", c as i32),
        (_, None) => kprintln!(" Completion Code: None"),
    }
    let sram_end = l.ram_end;
    let grant_start = p.kernel_break();
    let brk = p.app_break();
    kprintln!("");
    kprintln!("");
    kprintln!(" ╔═══════════╤══════════════════════════════════════════╗");
    kprintln!(" ║  Address  │ Region Name    Used | Allocated (bytes)  ║");
    kprintln!(
        " ╚{:#010X}═╪══════════════════════════════════════════╝",
        sram_end
    );
    kprintln!("             │ Grant Ptrs   {:6}", 0);
    kprintln!("             │ Upcalls      {:6}", 0);
    kprintln!("             │ Process      {:6}", 0);
    kprintln!(
        "  {:#010X} ┼───────────────────────────────────────────",
        sram_end
    );
    kprintln!("             │ ▼ Grant      {:6}", sram_end - grant_start);
    kprintln!(
        "  {:#010X} ┼───────────────────────────────────────────",
        grant_start
    );
    kprintln!("             │ Unused");
    kprintln!(
        "  {:#010X} ┼───────────────────────────────────────────",
        brk
    );
    kprintln!("             │ ▲ Heap            ? |      ?               S");
    kprintln!("  ?????????? ┼─────────────────────────────────────────── R");
    kprintln!("             │ Data              ? |      ?               A");
    kprintln!("  ?????????? ┼─────────────────────────────────────────── M");
    kprintln!("             │ ▼ Stack           ? |      ?");
    kprintln!("  {:#010X} ┼───────────────────────────────────────────", 0);
    kprintln!("             │ Unused");
    kprintln!(
        "  {:#010X} ┴───────────────────────────────────────────",
        l.ram_start
    );
    kprintln!("             .....");
    let protected_end = l.flash_start + l.header_size + l.protected_size;
    kprintln!(
        "  {:#010X} ┬─────────────────────────────────────────── F",
        l.flash_end
    );
    kprintln!(
        "             │ App Flash    {:6}                        L",
        l.flash_end - protected_end
    );
    kprintln!(
        "  {:#010X} ┼─────────────────────────────────────────── A",
        protected_end
    );
    kprintln!(
        "             │ Protected    {:6}                        S",
        protected_end - l.flash_start
    );
    kprintln!(
        "  {:#010X} ┴─────────────────────────────────────────── H",
        l.flash_start
    );
}

/// Tock's "---| Cortex-M Fault Status |---" block for one fault.
pub fn print_fault_status(f: &FaultInfo) {
    const CFSR_BITS: [(u32, &str); 16] = [
        (1 << 0, "Instruction Access Violation:      "),
        (1 << 1, "Data Access Violation:             "),
        (1 << 3, "Memory Management Unstacking Fault:"),
        (1 << 4, "Memory Management Stacking Fault:  "),
        (1 << 5, "Memory Management Lazy FP Fault:   "),
        (1 << 8, "Instruction Bus Error:             "),
        (1 << 9, "Precise Data Bus Error:            "),
        (1 << 10, "Imprecise Data Bus Error:          "),
        (1 << 11, "Bus Unstacking Fault:              "),
        (1 << 12, "Bus Stacking Fault:                "),
        (1 << 13, "Bus Lazy FP Fault:                 "),
        (1 << 16, "Undefined Instruction Usage Fault: "),
        (1 << 17, "Invalid State Usage Fault:         "),
        (1 << 18, "Invalid PC Load Usage Fault:       "),
        (1 << 19, "No Coprocessor Usage Fault:        "),
        (1 << 24, "Unaligned Access Usage Fault:      "),
    ];
    kprintln!("");
    kprintln!("---| Cortex-M Fault Status |---");
    for (bit, label) in CFSR_BITS {
        if f.cfsr & bit != 0 {
            kprintln!("{} true", label);
        }
    }
    if f.cfsr & (1 << 25) != 0 {
        kprintln!("Divide By Zero:                     true");
    }
    if f.hfsr & (1 << 1) != 0 {
        kprintln!("Bus Fault on Vector Table Read:     true");
    }
    if f.hfsr & (1 << 30) != 0 {
        kprintln!("Forced Hard Fault:                  true");
    }
    if f.cfsr & (1 << 7) != 0 {
        kprintln!("Faulting Memory Address:            {:#010X}", f.mmfar);
    }
    if f.cfsr & (1 << 15) != 0 {
        kprintln!("Bus Fault Address:                  {:#010X}", f.bfar);
    }
    if f.cfsr == 0 && f.hfsr == 0 {
        kprintln!("No faults detected.");
    } else {
        kprintln!("Fault Status Register (CFSR):       {:#010X}", f.cfsr);
        kprintln!("Hard Fault Status Register (HFSR):  {:#010X}", f.hfsr);
    }
}

/// The registers the kernel holds for `p` in Tock's `print_context` layout.
pub fn print_registers(p: &Process) {
    let s = p.stored.get();
    let r = s.regs; // r4-r11
    kprintln!("");
    kprintln!("  R4 : {:#010X}    R8 : {:#010X}", r[0], r[4]);
    kprintln!("  R5 : {:#010X}    R10: {:#010X}", r[1], r[6]);
    kprintln!("  R6 : {:#010X}    R11: {:#010X}", r[2], r[7]);
    kprintln!("  R7 : {:#010X}", r[3]);
    kprintln!("  R9 : {:#010X} (Static Base Register)", r[5]);
    kprintln!("  SP : {:#010X} (Process Stack Pointer)", s.sp);
    kprintln!("  PC : {:#010X}", s.pc);
    let l = p.layout();
    kprintln!(
        " To debug, run `make debug RAM_START={:#x} FLASH_INIT={:#x}`",
        l.ram_start,
        l.entry
    );
    kprintln!(" in the app's folder and open the .lst file.");
}
