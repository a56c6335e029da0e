//! ITM (Instrumentation Trace Macrocell) stimulus ports: the kernel's trace port.
//!
//! ARMv7-M ARM appendix C1.7: ITM_STIM0-31 at 0xE0000000 + 4n. A write to a stimulus port
//! becomes a software trace packet when DEMCR.TRCENA, ITM_TCR.ITMENA and the port's ITM_TER
//! bit are set (a debugger sets them); otherwise the write is ignored. Reading a port returns
//! FIFOREADY in bit 0: a word written while it reads 0 is lost. The kernel writes here only
//! after `enabled` says a debugger enabled the port (as CMSIS's ITM_SendChar checks ITM_TCR and
//! ITM_TER), so without a debugger an event site costs two register loads.
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

register_block! {
    /// Trace enable and control (from 0xE0000E00).
    pub ItmControl {
        (0x00 => ter: ReadWrite<u32>),
        (0x04 => _reserved0: [u32; 31]),
        (0x80 => tcr: ReadWrite<u32>),
        @END = 0x84,
    }
}

// SAFETY: 0xE0000000 is the architectural address of ITM_STIM0 on every ARMv7-M core with an
// ITM (the nRF52 family has one); reads and writes of the ports have no effect on memory.
const ITM: StaticRef<ItmStimulus> = unsafe { StaticRef::new(0xE000_0000) };

// SAFETY: 0xE0000E00 is ITM_TER and 0xE0000E80 ITM_TCR on every ARMv7-M core with an ITM;
// reading them has no side effect.
const CONTROL: StaticRef<ItmControl> = unsafe { StaticRef::new(0xE000_0E00) };

/// True when a debugger enabled stimulus port `port` (ITM_TCR.ITMENA and its ITM_TER bit).
pub fn enabled(port: usize) -> bool {
    port < 32 && CONTROL.tcr.get() & 1 != 0 && (CONTROL.ter.get() >> port) & 1 != 0
}

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
