/**
 * Lockstep against QEMU: the hand-written system programs and a budget of generated programs
 * run instruction by instruction in both, driven as two DebugTargets (driver.ts), with 0
 * divergences required (cases in known-divergences.ts are reported, not gated). Prints compared
 * instructions, rate and the per-encoding coverage report.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseElf } from '../../emulator/formats/elf';
import { systemPrograms } from '../programs/programs';
import { assemble, CACHE_DIR } from './assemble';
import { currentBudget } from './budget';
import { UNCOVERED_ALLOWED } from './coverage-gaps';
import { runLockstep } from './driver';
import { generateProgram, TEMPLATE_GROUPS } from './generator';
import { KNOWN_DIVERGENT_GROUPS, KNOWN_DIVERGENT_PROGRAMS } from './known-divergences';
import { startPair } from './targets';

const budget = currentBudget();
mkdirSync(CACHE_DIR, { recursive: true });
const PROGRESS = join(CACHE_DIR, `progress-${process.env.LOCKSTEP_MODE}.log`);
const coverage = new Map<string, number>();
let encodingNames: string[] = [];
let compared = 0;
let seconds = 0;
const reported: string[] = [];

function symbol(elf: string, name: string): number {
  const s = parseElf(new Uint8Array(readFileSync(elf))).symbols.find((x) => x.name === name);
  if (!s) throw new Error(`${elf} has no symbol ${name}`);
  return s.value & ~1;
}

async function lockstepCase(
  name: string,
  source: string,
  maxSteps: number,
): Promise<string | null> {
  const built = assemble(name, source);
  if (!built.ok) throw new Error(built.error);
  const r = await runLockstep(built.value, { maxSteps, stopAt: symbol(built.value, 'done') });
  compared += r.steps;
  seconds += r.seconds;
  // Long runs leave a progress trail (programs, instructions, divergences so far).
  appendFileSync(
    PROGRESS,
    `${new Date().toISOString()} ${name} ${r.steps} total=${compared} ${r.divergence === null ? 'ok' : 'DIVERGED'}\n`,
  );
  encodingNames = r.session.core.encodingNames();
  for (const [k, v] of r.session.core.encodingCounts()) coverage.set(k, (coverage.get(k) ?? 0) + v);
  if (r.divergence === null && r.session.readRegister(15) !== symbol(built.value, 'done')) {
    return `${name}: did not reach done within ${maxSteps} instructions (pc 0x${r.session.readRegister(15).toString(16)})`;
  }
  return r.divergence;
}

/** Runs `jobs` with at most `n` at once, in order of submission. */
async function pool<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

/** Known divergences must still diverge (so the list cannot go stale); all else must match. */
function gate(name: string, known: string | undefined, divergence: string | null): void {
  if (known !== undefined) {
    reported.push(
      `${name} (known: ${known}): ${divergence === null ? 'NOW PASSES - remove it from known-divergences.ts' : 'still diverges'}`,
    );
    expect(divergence, `${name} is listed as diverging but now matches QEMU`).not.toBeNull();
    return;
  }
  expect(divergence, divergence ?? '').toBeNull();
}

describe('QEMU gdbstub (oracle) reachable', () => {
  it('steps QEMU through its DebugTarget and reads its registers', async () => {
    const built = assemble(
      'probe',
      [
        '.syntax unified',
        '.thumb',
        '.section .vectors, "a"',
        '.word 0x20001000',
        '.word start',
        '.text',
        '.thumb_func',
        'start:',
        'movs r0, #1',
        'adds r0, #2',
        'b .',
      ].join('\n') + '\n',
    );
    if (!built.ok) throw new Error(built.error);
    const pair = await startPair(built.value);
    try {
      const q = pair.oracle;
      const start = symbol(built.value, 'start');
      const r = await q.readRegisters();
      expect(r.ok && r.value.pc).toBe(start);
      expect((await q.step()).ok).toBe(true);
      const s = await q.step();
      expect(s.ok && s.value).toMatchObject({ cause: { kind: 'step' }, pc: start + 4 });
      const regs = await q.readRegisters();
      expect(regs.ok && regs.value.r0).toBe(3);
      expect(q.client.description?.registers.map((x) => x.name)).toContain('xpsr');
    } finally {
      await pair.stop();
    }
  });
});

describe('system programs', () => {
  for (const p of systemPrograms()) {
    it(p.name, async () => {
      gate(
        p.name,
        KNOWN_DIVERGENT_PROGRAMS[p.name],
        await lockstepCase(p.name, p.source, budget.systemSteps),
      );
    });
  }
});

const passingGroups = Object.keys(TEMPLATE_GROUPS).filter(
  (g) => KNOWN_DIVERGENT_GROUPS[g] === undefined,
);

describe(`generated programs (${budget.programs} x ${budget.length} templates)`, () => {
  it(`match QEMU instruction by instruction (groups: ${passingGroups.join(', ')})`, async () => {
    const results = await pool(
      budget.parallel,
      Array.from({ length: budget.programs }, (_, i) => async () => {
        const seed = 0x1000 + i;
        // Every fourth program also raises an interrupt at a seed-chosen point.
        const p = generateProgram(
          seed,
          budget.length,
          passingGroups,
          i % 4 === 3 ? i % 32 : undefined,
        );
        return lockstepCase(p.name, p.source, p.instructions * 4 + 1000);
      }),
    );
    const failures = results.filter((d) => d !== null);
    expect(
      failures.slice(0, 3).join('\n\n'),
      `${failures.length} of ${results.length} programs diverged`,
    ).toBe('');
  });

  for (const [group, reason] of Object.entries(KNOWN_DIVERGENT_GROUPS)) {
    it(`known divergence: ${group}`, async () => {
      const p = generateProgram(0x7000, 200, [group]);
      gate(
        `group ${group}`,
        reason,
        await lockstepCase(`${p.name}-${group}`, p.source, p.instructions * 4 + 1000),
      );
    });
  }
});

/** Encodings the table names with no compared execution, and counted names outside the table. */
function coverageReport(): { names: string[]; missing: string[]; lines: string[] } {
  const names = encodingNames.length ? encodingNames : [...coverage.keys()];
  const hit = names.filter((n) => (coverage.get(n) ?? 0) > 0);
  const missing = names.filter((n) => !(coverage.get(n) ?? 0));
  // The core may count more than its table names (unmatched UNDEFINED encodings).
  const extra = [...coverage.keys()].filter((n) => !names.includes(n));
  const counts = [...names, ...extra].map((n) => `${n}=${coverage.get(n) ?? 0}`);
  const lines = [
    `lockstep (${process.env.LOCKSTEP_MODE}): ${compared} instructions compared in ${seconds.toFixed(1)} s of lockstep time (${(compared / Math.max(seconds, 1e-9)).toFixed(0)} instr/s per QEMU), ${budget.parallel} in parallel`,
    `per-encoding executions: ${counts.join(' ')}`,
    `encoding coverage: ${hit.length}/${names.length} (${((100 * hit.length) / Math.max(1, names.length)).toFixed(1)}%)`,
    ...(missing.length ? [`not covered: ${missing.join(', ')}`] : []),
  ];
  return { names, missing, lines };
}

describe('encoding coverage', () => {
  it('every encoding outside coverage-gaps.ts ran in a program compared against QEMU', (ctx) => {
    // Runs after the programs above (same file, sequential); alone (-t) there is nothing to check.
    if (compared === 0) ctx.skip();
    const { missing } = coverageReport();
    const unexpected = missing.filter((n) => UNCOVERED_ALLOWED[n] === undefined);
    expect(unexpected, `uncovered encodings not in coverage-gaps.ts`).toEqual([]);
    const stale = Object.keys(UNCOVERED_ALLOWED).filter((n) => !missing.includes(n));
    expect(stale, 'covered now: remove them from coverage-gaps.ts').toEqual([]);
  });
});

afterAll(() => {
  console.log([...coverageReport().lines, ...reported].join('\n'));
});
