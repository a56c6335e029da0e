//! The debug anchor: the one symbol through which a debugger finds the kernel's structures.
//!
//! `CAPSULE_DEBUG_ANCHOR` is a `#[no_mangle]` static, so its name does not depend on the board
//! crate, the macro that declared the kernel or the compiler's mangling. `static_kernel!`
//! declares it in the board's binary crate, next to the kernel and its process table: rustc
//! describes in the DWARF only the statics of the crate being linked (a library crate's
//! statics lose their DWARF variables under LTO), and a second kernel in one binary would be
//! a duplicate symbol at link time. The kernel reaches it through `install`. It holds a magic, a
//! format version and references to the kernel (whose fields hold the process table and the
//! scheduler's state), the process table itself and the board (the `Platform`, whose concrete
//! type a debugger reads from its vtable's DWARF: from there every capsule, the chip and its
//! DMA channels are reachable). Debuggers read every field by name through the DWARF (never by
//! offset), so fields may be added freely; a field removed or changed in meaning bumps
//! `abi::anchor::VERSION`. kernel/README.md ("Debug anchor") documents it as the IDE's
//! interface.
//!
//! Nothing here is written by a debugger: the kernel emits its trace events (`abi::TraceEvent`:
//! upcalls queued, dropped, delivered) when the debugger enabled the architecture's trace port
//! (on Cortex-M the ITM stimulus port `abi::trace::PORT`), which the kernel checks first.
//!
//! ```
//! let a = kernel::anchor::DebugAnchor::new();
//! assert_eq!(a.magic, abi::anchor::MAGIC);
//! assert_eq!(a.version, abi::anchor::VERSION);
//! assert!(a.kernel.get().is_none()); // set when the board loads its processes
//! ```

use crate::platform::Platform;
use crate::process::Process;
use crate::Kernel;
use cells::StaticCell;
use core::cell::Cell;

/// The anchor's layout (see the module documentation).
pub struct DebugAnchor {
    /// `abi::anchor::MAGIC`: tells an anchor from uninitialised or overwritten RAM.
    pub magic: [u8; 8],
    /// `abi::anchor::VERSION`.
    pub version: u32,
    /// The userspace ABI (major, minor).
    pub abi: [u16; 2],
    /// The kernel's version.
    pub kernel_version: &'static str,
    /// The board's name (set by the board).
    pub board_name: Cell<&'static str>,
    /// The kernel (set when it loads its processes).
    pub kernel: Cell<Option<&'static Kernel>>,
    /// The process table (every slot).
    pub processes: Cell<&'static [Process]>,
    /// The board: drivers, chip, MPU, context switch.
    pub platform: Cell<Option<&'static dyn Platform>>,
}

// SAFETY: the kernel runs on one core and only its thread (never an interrupt handler) touches
// the cells, once at boot; a debugger's access goes through the debug port, outside the
// program.
unsafe impl Sync for DebugAnchor {}

impl DebugAnchor {
    /// An anchor as the board declares it (`static_kernel!`): magic, versions, nothing
    /// published yet.
    pub const fn new() -> Self {
        DebugAnchor {
            magic: abi::anchor::MAGIC,
            version: abi::anchor::VERSION,
            abi: [abi::ABI_VERSION.0, abi::ABI_VERSION.1],
            kernel_version: crate::kernel::VERSION,
            board_name: Cell::new(""),
            kernel: Cell::new(None),
            processes: Cell::new(&[]),
            platform: Cell::new(None),
        }
    }
}

impl Default for DebugAnchor {
    fn default() -> Self {
        Self::new()
    }
}

/// The anchor the board declared (`static_kernel!` installs it).
static ANCHOR: StaticCell<Option<&'static DebugAnchor>> = StaticCell::new(None);

/// Makes `anchor` the one the kernel publishes to (`static_kernel!` calls this).
pub fn install(anchor: &'static DebugAnchor) {
    ANCHOR.set(Some(anchor));
}

/// The installed anchor, if any.
pub fn installed() -> Option<&'static DebugAnchor> {
    ANCHOR.get()
}

/// Records the board's name (boards call this once, at boot).
pub fn set_board_name(name: &'static str) {
    if let Some(a) = installed() {
        a.board_name.set(name);
    }
}

/// Records the kernel, its process table and the board (the kernel does this when it loads
/// its processes).
pub(crate) fn publish_kernel(kernel: &'static Kernel, platform: &'static dyn Platform) {
    if let Some(a) = installed() {
        a.kernel.set(Some(kernel));
        a.processes.set(kernel.processes());
        a.platform.set(Some(platform));
    }
}
