/**
 * A `ProgramView` with one source line and nothing else (no frames, symbols or variables), for
 * host tests that drive the debug service over a hand-assembled program: a breakpoint on line 1
 * of `source` resolves to `line1`.
 *
 * @example
 *   loadProgram: () => oneLineProgram('capsules/src/console.rs', symbol('here')),
 */
import { ok } from '../../../emulator/core/result';
import type { ProgramView } from '../debug-program';

export function oneLineProgram(source: string, line1: number): ProgramView {
  return {
    sourceLevel: true,
    notices: [],
    programOf: () => 'kernel',
    symbolize: () => null,
    lookup: () => null,
    functionAt: () => null,
    lineAt: () => null,
    inlineChain: () => [],
    shownLine: () => null,
    addressesFor: (file, line) =>
      file === source && line === 1 ? { line: 1, addresses: [line1] } : null,
    backtrace: async () => [],
    variables: async () => [],
    children: async () => [],
    evaluate: async () => ok({ name: '', value: '', type: '', ref: 0, editable: false }),
    newStop: () => {},
  };
}
