/**
 * Step over's rows on the built nRF52840-DK kernel (main/host/debug-dwarf.ts `stepRows`): the
 * view answers `inlineChain` and `shownLine` from each function's cached scope tree, and a
 * function's step rows are built from those once. Both must be what the reader's `scopesAt`
 * (every scope with its variables, walked afresh per address) says at every halfword of
 * functions with code inlined into them, or Step over runs through a row where it must stop.
 * The rows belong to the loaded build: a view loaded again (a new build) builds its own.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { unwrap } from '../../emulator/debug/testing/target-helpers';
import { cleanName, DwarfProgramView } from '../../main/host/debug-dwarf';
import { findImages } from '../../main/host/debug-images';
import { stepRowsOf, type ProgramView } from '../../main/host/debug-program';

const root = path.resolve(import.meta.dirname, '..', '..', 'kernel');
const load = (): DwarfProgramView =>
  DwarfProgramView.load(unwrap(findImages(root, 'nrf52840dk')), root) as DwarfProgramView;

/** inlineChain and shownLine as they were defined, from `scopesAt` per address. */
function reference(view: DwarfProgramView): ProgramView {
  const set = view.programSet;
  const logical = (a: number) => set.scopesAt(a).filter((s) => s.kind !== 'block');
  return {
    ...view,
    lineAt: (a: number) => view.lineAt(a),
    inlineChain(a: number): string[] {
      const scopes = logical(a);
      while (scopes.length > 1 && scopes[0]!.kind === 'inlined' && scopes[0]!.entry === a)
        scopes.shift();
      return scopes.map((s) => cleanName(s.name ?? '?'));
    },
    shownLine(a: number): { file: string; line: number } | null {
      let site: { file: string; line: number } | null = null;
      for (const s of logical(a)) {
        if (s.kind !== 'inlined' || s.entry !== a || !s.callSite) break;
        site = s.callSite;
      }
      if (site) return site;
      const l = set.lineFor(a);
      return l ? { file: l.file, line: l.line } : null;
    },
  } as ProgramView;
}

describe("Step over's rows on the nRF52840-DK kernel", () => {
  it(
    'are what scopesAt says at every halfword, per function, per build',
    { timeout: 120_000 },
    () => {
      const view = load();
      const ref = reference(view);
      // The syscall dispatch (bench:ide's longest step over) and the console capsule's command.
      const lines: [string, number][] = [
        ['dispatch.rs', 206],
        ['console.rs', 155],
      ];
      let inlinedRows = 0;
      for (const [file, line] of lines) {
        const at = view.addressesFor(file, line);
        expect(at, `${file}:${line} has code`).not.toBeNull();
        const fn = view.functionAt(at!.addresses[0]!)!;
        for (const [lo, hi] of fn.ranges)
          for (let a = lo; a < hi; a += 2) {
            expect(view.inlineChain(a), `inlineChain at 0x${a.toString(16)}`).toEqual(
              ref.inlineChain(a),
            );
            expect(view.shownLine(a), `shownLine at 0x${a.toString(16)}`).toEqual(ref.shownLine(a));
          }
        const rows = view.stepRows(fn);
        expect(rows).toEqual(stepRowsOf(ref, fn));
        inlinedRows += rows.filter((r) => r.depth > 1).length;
        // Built once per function.
        expect(view.stepRows(fn)).toBe(rows);
        // Another load (a new build) builds its own, from its own images.
        const again = load();
        const fresh = again.stepRows(again.functionAt(fn.low)!);
        expect(fresh).not.toBe(rows);
        expect(fresh).toEqual(rows);
      }
      // The check means something only where code is inlined.
      expect(inlinedRows).toBeGreaterThan(0);
    },
  );
});
