/**
 * Every emulated machine by name: what the session builds for `--machine <name>`.
 *
 * The board registry (emulator/boards) maps boards to these names; a test checks that every
 * registered board has its machine here and every machine a board there.
 *
 * @example
 *   const def = MACHINE_DEFINITIONS['microbit-v2']; // core config + build(ctx)
 */
import type { MachineDefinition } from './machine';
import { MPS2_AN386_DEFINITION } from './mps2-an386';
import { NRF52_DEFINITIONS } from './nrf52';

export const MACHINE_DEFINITIONS = {
  'mps2-an386': MPS2_AN386_DEFINITION,
  nrf52840dk: NRF52_DEFINITIONS.nrf52840dk,
  'microbit-v2': NRF52_DEFINITIONS['microbit-v2'],
} as const satisfies Record<string, MachineDefinition>;

export type MachineName = keyof typeof MACHINE_DEFINITIONS;

/** Machine names, in the order usage messages list them. */
export const MACHINE_NAMES = Object.keys(MACHINE_DEFINITIONS) as MachineName[];

export function isMachineName(name: string): name is MachineName {
  return Object.prototype.hasOwnProperty.call(MACHINE_DEFINITIONS, name);
}
