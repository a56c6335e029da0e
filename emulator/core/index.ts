/**
 * Public API of the emulator core: the Cortex-M4 processor, its bus and clock, and the test assembler.
 *
 * Machines (emulator/machines) build on `CortexM`; hosts drive it through `CoreControl`.
 * Everything exported here is pure TypeScript and deterministic.
 *
 * Usage:
 *   import { CortexM, assemble } from '../core';
 *   const core = new CortexM({ frequencyHz: 25e6, numIrqs: 32, priorityBits: 8 });
 */
export * from './interfaces';
export { CortexM, type CoreConfig, type CoreSnapshot } from './cortex-m';
export { Exc, CFSR } from './exceptions';
export { Bus, Region } from './memory/bus';
export { Clock } from './clock';
export { ClockEvent } from './clock-event';
export { assemble, assembleProgram, branchFields, Program, type AsmItem } from './assembler';
export {
  ENCODING_NAMES,
  ALL_ENCODINGS,
  REGISTER_NAMES,
  findEncoding,
  disassembleWord,
} from './cpu/table';
