//! Process loading: discovering the apps in flash and installing them in free process slots.
//!
//! `Kernel::load_processes` walks the TBFs back to back from the start of the apps flash
//! region (as Tock's loader does: an unusable app is skipped, an unreadable header ends the
//! walk), checks each app against the kernel (ABI version, fixed addresses, entry point, RAM,
//! MPU coverage), installs it and starts it; `start_process` (re)initialises a process to run
//! from its entry point with Tock's entry registers.
//!
//! ```text
//! [kernel] loaded process 'hello' (pid 0): flash 0x00040000-0x00044000, RAM 0x20008000-0x20009800
//! [kernel] 1 process(es) loaded
//! ```

use crate::kernel::{AppRegions, ABI_VERSION, GRANT_RESERVE, INITIAL_APP_BREAK};
use crate::platform::Platform;
use crate::process::{FaultPolicy, Layout, Process, State};
use crate::tbf::{self, TbfError};
use crate::{kprintln, Kernel};

impl Kernel {
    /// Discovers and installs the apps; prints one line per app. Returns the number loaded.
    pub fn load_processes(
        &'static self,
        platform: &'static dyn Platform,
        regions: AppRegions,
        policy: FaultPolicy,
    ) -> usize {
        self.platform.set(platform);
        self.regions.set(Some(regions));
        crate::anchor::publish_kernel(self, platform);
        let mut offset = 0usize;
        let mut loaded = 0usize;
        let ram_end_region = regions.ram_start + regions.ram_size;
        let mut next_free_ram = regions.ram_start;
        while offset < regions.flash.len() {
            let addr = regions.flash_base + offset;
            let rest = &regions.flash[offset..];
            let h = match tbf::parse(rest) {
                Ok(h) => h,
                Err(TbfError::End) => break,
                Err(e) => match e.skip(tbf::claimed_total_size(rest)) {
                    // As Tock's loader does: an unusable app is passed over, the walk goes on.
                    Some(skip) => {
                        kprintln!(
                            "[kernel] apps: unusable TBF at {:#010x}: {}; skipped",
                            addr,
                            e
                        );
                        offset += skip as usize;
                        continue;
                    }
                    None => {
                        kprintln!("[kernel] apps: invalid TBF header at {:#010x}: {}; app discovery stops here", addr, e);
                        break;
                    }
                },
            };
            let total = h.total_size as usize;
            offset += total;
            let name = h.package_name.unwrap_or("(unnamed)");
            if h.is_padding() {
                continue;
            }
            if !h.enabled() {
                kprintln!(
                    "[kernel] app '{}' at {:#010x} is disabled; not loaded",
                    name,
                    addr
                );
                continue;
            }
            if let Some((major, minor)) = h.kernel_version {
                if major != ABI_VERSION.0 || minor > ABI_VERSION.1 {
                    kprintln!(
                        "[kernel] app '{}' needs kernel ^{}.{} but this kernel speaks {}.{}; not loaded",
                        name,
                        major,
                        minor,
                        ABI_VERSION.0,
                        ABI_VERSION.1
                    );
                    continue;
                }
            }
            let binary = addr + h.binary_offset() as usize;
            if let Some(f) = h.fixed_flash {
                if f as usize != binary {
                    kprintln!(
                        "[kernel] app '{}' was linked for flash {:#010x} but its binary is at {:#010x}; not loaded",
                        name,
                        f,
                        binary
                    );
                    continue;
                }
            }
            let entry = h.entry_offset().unwrap_or(0) as usize;
            if entry < h.binary_offset() as usize || entry >= h.binary_end() as usize {
                kprintln!(
                    "[kernel] app '{}': entry point {:#010x} lies outside its binary {:#010x}-{:#010x}; not loaded",
                    name,
                    addr + entry,
                    binary,
                    addr + h.binary_end() as usize
                );
                continue;
            }
            let slot = match self
                .processes
                .iter()
                .position(|p| p.state() == State::Unused)
            {
                Some(s) => s,
                None => {
                    kprintln!(
                        "[kernel] app '{}': no free process slot (max {}); not loaded",
                        name,
                        self.processes.len()
                    );
                    continue;
                }
            };
            let min_ram = ((h.minimum_ram_size as usize + 7) & !7).max(INITIAL_APP_BREAK);
            let ram_start = match h.fixed_ram {
                Some(r) => r as usize,
                None => (next_free_ram + 0xfff) & !0xfff,
            };
            let want = min_ram + GRANT_RESERVE;
            let ram_end = ram_start.saturating_add(want);
            if ram_start < regions.ram_start || ram_end > ram_end_region {
                let left = ram_end_region.saturating_sub(ram_start.max(regions.ram_start));
                kprintln!(
                    "[kernel] app '{}' asks for {} bytes of RAM at {:#010x} but only {} bytes are left in app RAM {:#010x}-{:#010x}; not loaded",
                    name,
                    want,
                    ram_start,
                    left,
                    regions.ram_start,
                    ram_end_region
                );
                continue;
            }
            if let Some(other) = self.processes.iter().find(|p| {
                p.state() != State::Unused && {
                    let l = p.layout();
                    ram_start < l.ram_end && l.ram_start < ram_end
                }
            }) {
                let l = other.layout();
                kprintln!(
                    "[kernel] app '{}' RAM {:#010x}-{:#010x} overlaps app '{}' ({:#010x}-{:#010x}); not loaded",
                    name,
                    ram_start,
                    ram_end,
                    other.name(),
                    l.ram_start,
                    l.ram_end
                );
                continue;
            }
            let layout = Layout {
                flash_start: addr,
                flash_end: addr + total,
                header_size: h.header_size as usize,
                protected_size: h.protected_trailer_size as usize,
                entry: (addr + entry) | 1,
                ram_start,
                ram_end,
                initial_break: ram_start + INITIAL_APP_BREAK,
                short_id: h.short_id,
            };
            if let Err(e) = platform.mpu().compute(
                (addr, total),
                ram_start,
                layout.initial_break,
                ram_end - GRANT_RESERVE / 2,
            ) {
                let crate::platform::MpuError::CannotCover { start, end, limit } = e;
                kprintln!(
                    "[kernel] app '{}': the MPU cannot protect RAM {:#010x}-{:#010x} below {:#010x} (align the RAM start to 256 bytes); not loaded",
                    name,
                    start,
                    end,
                    limit
                );
                continue;
            }
            let p = &self.processes[slot];
            p.install(slot, name, layout, policy, 0);
            if slot >= self.scheduler.used.get() {
                self.scheduler.used.set(slot + 1);
            }
            if self.start_process(p) {
                kprintln!(
                    "[kernel] loaded process '{}' (pid {}): flash {:#010x}-{:#010x}, RAM {:#010x}-{:#010x}",
                    name,
                    slot,
                    addr,
                    addr + total,
                    ram_start,
                    ram_end
                );
                loaded += 1;
            }
            next_free_ram = ram_end;
        }
        kprintln!("[kernel] {} process(es) loaded", loaded);
        loaded
    }

    /// (Re)initialises a process to run from its entry point. False if that failed (the
    /// process is left Faulted with a message).
    pub(crate) fn start_process(&self, p: &Process) -> bool {
        let platform = match self.platform.get() {
            Some(pl) => pl,
            None => return false,
        };
        let l = p.layout();
        let id = self.fresh_id();
        let (mpu, brk) = match platform.mpu().compute(
            (l.flash_start, l.flash_end - l.flash_start),
            l.ram_start,
            l.initial_break,
            l.ram_end - GRANT_RESERVE / 2,
        ) {
            Ok(r) => r,
            Err(_) => {
                kprintln!(
                    "[kernel] process '{}': cannot configure the MPU; left Faulted",
                    p.name()
                );
                p.set_state(State::Faulted);
                return false;
            }
        };
        p.reset(id, mpu, brk);
        let mut stored = crate::platform::StoredState {
            regs: [0; 8],
            sp: 0,
            pc: l.entry,
        };
        let args = [
            (l.flash_start + l.header_size + l.protected_size) as u32,
            l.ram_start as u32,
            (l.ram_end - l.ram_start) as u32,
            brk as u32,
        ];
        if platform
            .boundary()
            .initialize_process(&mut stored, p.accessible(), brk & !7, l.entry, args)
            .is_err()
        {
            kprintln!(
                "[kernel] process '{}': no room for its initial stack frame; left Faulted",
                p.name()
            );
            p.set_state(State::Faulted);
            return false;
        }
        p.stored.set(stored);
        p.set_state(State::Running);
        true
    }
}
