//! ITM (Instrumentation Trace Macrocell) stimulus ports: the kernel's trace port.
//!
//! ARMv7-M ARM appendix C1.7: ITM_STIM0-31 at 0xE0000000 + 4n. A write to a stimulus port
//! becomes a software trace packet when DEMCR.TRCENA, ITM_TCR.ITMENA and the port's ITM_TER
//! bit are set (a debugger sets them); otherwise the write is ignored. Reading a port returns
//! FIFOREADY in bit 0: a word written while it reads 0 is lost. The kernel writes here only
//! while a debugger asked for trace events (the debug anchor's `trace`), so a board whose
//! debugger never enables the ITM pays one load per event site.
//!
//! ```no_run
//! cortexm::itm::write(1, 0x0001_0301); // port 1, one word
//! ```

use registers::{register_block, ReadWrite, StaticRef};

register_block! {
    /// The 32 stimulus ports (from 0xE0000000).
    pub ItmStimulus {
        (0x00 => port: [ReadWrite<u32>; 32]),
        @END = 0x80,
    }
}

// SAFETY: 0xE0000000 is the architectural address of ITM_STIM0 on every ARMv7-M core with an
// ITM (the nRF52 family has one); reads and writes of the ports have no effect on memory.
const ITM: StaticRef<ItmStimulus> = unsafe { StaticRef::new(0xE000_0000) };

/// Polls FIFOREADY at most this often before dropping a word (a stalled trace output must
/// not stall the kernel).
const READY_POLLS: u32 = 64;

/// Writes `word` to stimulus port `port` (0-31) once the port is ready; false if the word was
/// dropped (port out of range or never ready).
pub fn write(port: usize, word: u32) -> bool {
    let p = match ITM.port.get(port) {
        Some(p) => p,
        None => return false,
    };
    for _ in 0..READY_POLLS {
        if p.get() & 1 != 0 {
            p.set(word);
            return true;
        }
    }
    false
}
