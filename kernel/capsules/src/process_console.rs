//! Process console: a command line on the UART for inspecting and controlling processes.
//!
//! Commands: `help`, `list`, `status`, `stop <name|pid>`, `start <name|pid>`,
//! `fault <name|pid>`, `terminate <name|pid>`, `kernel`. `list` prints Tock's columns:
//! PID, ShortID, Name, Quanta, Syscalls, Restarts, Grants (used/total), State.

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
                kprintln!("Valid commands are: help status list stop start fault terminate kernel");
            }
            "list" => {
                kprintln!(" PID    ShortID    Name                Quanta  Syscalls  Restarts  Grants  State");
                for (i, p) in self.kernel.processes().iter().enumerate() {
                    if p.id().is_none() {
                        continue;
                    }
                    kprintln!(
                        " {:<6} {:<10} {:<18} {:>7} {:>9} {:>9}  {:>2}/{:<2}   {}",
                        i,
                        "Unique",
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
                kprintln!("Kernel version: Capsule kernel {}", kernel::kernel::VERSION);
                kprintln!("Board: {}", self.board);
                kprintln!("{}", KERNEL_INFO.get());
            }
            "stop" | "start" | "fault" | "terminate" => {
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
                            kprintln!("Process {} started", p.name());
                        }
                    }
                    "fault" => {
                        if let Some(pid) = p.id() {
                            self.kernel.request_fault(pid.index);
                        }
                        kprintln!("Process {} will fault", p.name());
                    }
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
