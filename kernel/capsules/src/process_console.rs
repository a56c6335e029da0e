//! Process console: a command line on the UART for inspecting and controlling processes.
//!
//! Commands as Tock 2.x's process console (capsules/core/src/process_console.rs) has them:
//! `help`, `list`, `status`, `stop <name>`, `start <name>`, `fault <name>`,
//! `terminate <name>`, `process <name>`, `kernel`, `panic`; a PID from `list` works wherever a
//! name does. `list` prints Tock's columns and row format (PID, ShortID, Name, Quanta,
//! Syscalls, Restarts, Grants used/total, State), `process` Tock's overview
//! (kernel::process_printer), the replies Tock's wording. Not here: `boot` (Tock restarts a
//! terminated process: our `start` does that), `reset` (no reset function on these boards), the
//! kernel memory map of `kernel` (the board's own layout text is printed instead), command
//! history and line editing.

use cells::StaticCell;
use core::cell::Cell;
use kernel::hil::uart::ReceiveClient;
use kernel::process::{Process, State};
use kernel::{kprint, kprintln, Kernel};

const LINE: usize = 64;

/// The console.
pub struct ProcessConsole {
    kernel: &'static Kernel,
    line: [Cell<u8>; LINE],
    len: Cell<usize>,
    board: &'static str,
}

const ZERO: Cell<u8> = Cell::new(0);

/// Shown by `kernel`: set by the board at boot (e.g. the memory layout).
pub static KERNEL_INFO: StaticCell<&'static str> = StaticCell::new("");

impl ProcessConsole {
    /// A console for `kernel` on a board called `board`.
    pub fn new(kernel: &'static Kernel, board: &'static str) -> Self {
        ProcessConsole {
            kernel,
            line: [ZERO; LINE],
            len: Cell::new(0),
            board,
        }
    }

    /// Prints the prompt.
    pub fn start(&self) {
        kprint!("tock$ ");
    }

    fn find(&self, arg: &str) -> Option<&'static Process> {
        let procs = self.kernel.processes();
        if let Ok(n) = arg.parse::<usize>() {
            return procs.get(n).filter(|p| p.id().is_some());
        }
        procs.iter().find(|p| p.id().is_some() && p.name() == arg)
    }

    fn execute(&self, cmd: &str) {
        let mut parts = cmd.split_whitespace();
        let verb = match parts.next() {
            Some(v) => v,
            None => return,
        };
        let arg = parts.next();
        match verb {
            "help" => {
                kprintln!("Welcome to the process console.");
                kprintln!("Valid commands are: help status list stop start fault terminate process kernel panic");
            }
            "list" => {
                kprintln!(" PID    ShortID    Name                Quanta  Syscalls  Restarts  Grants  State");
                for (i, p) in self.kernel.processes().iter().enumerate() {
                    if p.id().is_none() {
                        continue;
                    }
                    // Tock 2.2's row: " {:<7?}{:<11?}{:<20}{:6}{:10}{:10}  {:2}/{:2}   {:?}";
                    // the ShortID column is `Unique` or the fixed id in hex.
                    kprint!(" {:<7}", i);
                    match p.short_id() {
                        Some(id) => kprint!("{:<#11x}", id),
                        None => kprint!("{:<11}", "Unique"),
                    }
                    kprintln!(
                        "{:<20}{:6}{:10}{:10}  {:2}/{:2}   {}",
                        p.name(),
                        p.quanta(),
                        p.syscall_count(),
                        p.restarts(),
                        p.grants_used(),
                        self.kernel.grant_count(),
                        p.state_name()
                    );
                }
            }
            "status" => {
                let procs = self.kernel.processes();
                let active = procs.iter().filter(|p| p.id().is_some()).count();
                let running = procs
                    .iter()
                    .filter(|p| {
                        p.id().is_some()
                            && !p.is_stopped()
                            && matches!(
                                p.state(),
                                State::Running | State::Yielded | State::YieldedFor { .. }
                            )
                    })
                    .count();
                let faulted = procs.iter().filter(|p| p.state() == State::Faulted).count();
                kprintln!("Total processes: {}", active);
                kprintln!("Active processes: {}", running);
                kprintln!("Faulted processes: {}", faulted);
                kprintln!(
                    "Timeslice expirations: {}",
                    procs.iter().map(|p| p.quanta()).sum::<u32>()
                );
                kprintln!("System calls served: {}", self.kernel.syscall_total());
            }
            "kernel" => {
                kprintln!(
                    "Kernel version: {}.{} (build Capsule kernel {})",
                    kernel::kernel::ABI_VERSION.0,
                    kernel::kernel::ABI_VERSION.1,
                    kernel::kernel::VERSION
                );
                kprintln!("Board: {}", self.board);
                kprintln!("{}", KERNEL_INFO.get());
            }
            "panic" => panic!("Process Console forced a kernel panic."),
            "stop" | "start" | "fault" | "terminate" | "process" => {
                let p = match arg.and_then(|a| self.find(a)) {
                    Some(p) => p,
                    None => {
                        kprintln!(
                            "{}: no such process '{}' (give a name or PID from `list`)",
                            verb,
                            arg.unwrap_or("")
                        );
                        return;
                    }
                };
                match verb {
                    "stop" => {
                        p.set_stopped(true);
                        kprintln!("Process {} stopped", p.name());
                    }
                    "start" => {
                        if matches!(p.state(), State::Faulted | State::Terminated) {
                            self.kernel.restart_process(p);
                            kprintln!("Process {} restarted", p.name());
                        } else {
                            p.set_stopped(false);
                            kprintln!("Process {} resumed.", p.name());
                        }
                    }
                    "fault" => {
                        if let Some(pid) = p.id() {
                            self.kernel.request_fault(pid.index);
                        }
                        kprintln!("Process {} now faulted", p.name());
                    }
                    "process" => kernel::process_printer::print_overview(p),
                    _ => {
                        self.kernel.terminate_process(p, None);
                        kprintln!("Process {} terminated", p.name());
                    }
                }
            }
            other => kprintln!("Unknown command '{}'; type help", other),
        }
    }
}

impl ReceiveClient for ProcessConsole {
    fn received_byte(&self, byte: u8) {
        match byte {
            b'\r' | b'\n' => {
                kprintln!("");
                let mut buf = [0u8; LINE];
                let n = self.len.get();
                for (i, b) in buf.iter_mut().enumerate().take(n) {
                    *b = self.line[i].get();
                }
                self.len.set(0);
                if let Ok(s) = core::str::from_utf8(&buf[..n]) {
                    self.execute(s.trim());
                }
                kprint!("tock$ ");
            }
            8 | 127 if self.len.get() > 0 => {
                self.len.set(self.len.get() - 1);
                kprint!("\x08 \x08");
            }
            b if (0x20..0x7f).contains(&b) => {
                let n = self.len.get();
                if n < LINE {
                    self.line[n].set(b);
                    self.len.set(n + 1);
                    kprint!("{}", b as char);
                }
            }
            _ => {}
        }
    }
}
