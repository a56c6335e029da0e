// The project's breakpoints survive a restart (a second store on the same folder reads them),
// live outside the project, follow a renamed file, and a damaged file loses only them, said
// once. Hit conditions: "5" from the 5th hit on, "== 5" only the 5th, "% 5" every 5th.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BreakpointStore, hitConditionProblem, hitStops } from './breakpoint-store';

describe('BreakpointStore', () => {
  it('keeps breakpoints per project across restarts, outside the project', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
    const project = mkdtempSync(path.join(os.tmpdir(), 'bp-project-'));
    const a = BreakpointStore.open(project, dir);
    expect(
      await a.set('capsules/src/console.rs', [
        { line: 160 },
        { line: 155, condition: ' command == 1 ' },
        { line: 160 },
      ]),
    ).toBeNull();
    expect(
      await a.set('kernel/src/kernel.rs', [{ line: 3, hitCondition: '% 2', enabled: false }]),
    ).toBeNull();
    const b = BreakpointStore.open(project, dir);
    expect(b.all()).toEqual([
      {
        path: 'capsules/src/console.rs',
        breakpoints: [{ line: 155, condition: 'command == 1' }, { line: 160 }],
      },
      {
        path: 'kernel/src/kernel.rs',
        breakpoints: [{ line: 3, hitCondition: '% 2', enabled: false }],
      },
    ]);
    expect(readdirSync(project)).toEqual([]);
    // Another project has its own.
    expect(
      BreakpointStore.open(mkdtempSync(path.join(os.tmpdir(), 'bp-other-')), dir).all(),
    ).toEqual([]);
    await b.rename('capsules/src', 'capsules/src2');
    expect(BreakpointStore.open(project, dir).get('capsules/src2/console.rs')).toHaveLength(2);
    await b.set('kernel/src/kernel.rs', []);
    expect(
      BreakpointStore.open(project, dir)
        .all()
        .map((f) => f.path),
    ).toEqual(['capsules/src2/console.rs']);
  });

  it('reports a damaged file once and starts empty', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bp-store-'));
    const project = mkdtempSync(path.join(os.tmpdir(), 'bp-project-'));
    const s = BreakpointStore.open(project, dir);
    writeFileSync(s.file, '{ not json');
    const t = BreakpointStore.open(project, dir);
    expect(t.all()).toEqual([]);
    expect(t.problem).toMatch(/damaged and were not loaded/);
    expect(readFileSync(s.file, 'utf8')).toBe('{ not json');
  });

  it('counts hits as the hit condition says', () => {
    const stops = (c: string | undefined): number[] =>
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].filter((n) => hitStops(c, n));
    expect(stops(undefined)).toHaveLength(10);
    expect(stops('5')).toEqual([5, 6, 7, 8, 9, 10]);
    expect(stops('>= 5')).toEqual([5, 6, 7, 8, 9, 10]);
    expect(stops('== 5')).toEqual([5]);
    expect(stops('> 8')).toEqual([9, 10]);
    expect(stops('% 5')).toEqual([5, 10]);
    expect(hitConditionProblem('>= 2')).toBeNull();
    expect(hitConditionProblem('lots')).toMatch(/not understood/);
  });
});
