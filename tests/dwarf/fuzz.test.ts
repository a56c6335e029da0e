// Bad input for the DWARF reader: the kernel ELF's debug sections mutated 10,000 times.
//
// Each round flips, overwrites or zeroes a few bytes of one debug section (in place, undone
// after the round), opens the image again and asks the reader what that section feeds: the
// unit headers and root DIEs always; then the line table, the DIE tree, the CFI rows, a
// location or range list, or names. The reader must answer or report a warning: no exception
// escapes, and no round takes long (a loop on corrupt data would show as a slow round).
// Rounds are seeded, so a failure names its seed and replays.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseElf, type ElfFile } from '../../emulator/formats/elf';
import { DebugInfo } from '../../emulator/formats/dwarf';
import { LineIndex } from '../../emulator/formats/dwarf/line';
import { DW_AT, DW_FORM } from '../../emulator/formats/dwarf/codes';
import {
  dieLocation,
  dieRanges,
  readLocListV4,
  readRangesV4,
} from '../../emulator/formats/dwarf/lists';
import { DwarfError } from '../../emulator/formats/dwarf/reader';
import { kernelElf } from './images';

const ROUNDS = 10_000;
/** A round this slow means a loop on corrupt data (rounds take milliseconds; CI may be loaded). */
const SLOW_ROUND_MS = 10_000;
const ROUNDS_OVERRIDE = Number(process.env.DWARF_FUZZ_ROUNDS ?? 0);

/** xorshift32: deterministic rounds from a seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

const SECTIONS: [string, number][] = [
  ['.debug_line', 12],
  ['.debug_frame', 18],
  ['.debug_loc', 15],
  ['.debug_ranges', 10],
  ['.debug_str', 10],
  ['.debug_aranges', 5],
  ['.debug_info', 20],
  ['.debug_abbrev', 10],
];

describe('the reader on 10,000 corrupt variants of the kernel ELF', () => {
  it('never throws and never hangs', () => {
    const elf: ElfFile = parseElf(new Uint8Array(readFileSync(kernelElf('nrf52840dk'))));
    const clean = DebugInfo.fromElf(elf, { name: 'kernel' });
    if (!clean.ok) throw new Error(clean.error);
    // Where the lists start (from the intact image), so mutated lists are read from their heads.
    const locStarts: number[] = [];
    const rangeStarts: number[] = [];
    const dieStarts: number[] = [];
    const unitIndexOf = (offset: number): number =>
      clean.value.units.findIndex((u) => offset >= u.offset && offset < u.end);
    for (const u of clean.value.units)
      for (const d of u.allDies()) {
        dieStarts.push(d.offset);
        if (d.formOf(DW_AT.location) === DW_FORM.sec_offset) locStarts.push(d.num(DW_AT.location)!);
        if (d.formOf(DW_AT.ranges) === DW_FORM.sec_offset) rangeStarts.push(d.num(DW_AT.ranges)!);
      }
    locStarts.sort((a, b) => a - b);
    rangeStarts.sort((a, b) => a - b);
    const pcs = clean.value.allFunctions().map((f) => f.entry);
    const total = SECTIONS.reduce((n, [, w]) => n + w, 0);
    const seed = Number(process.env.DWARF_FUZZ_SEED ?? 0x5eed);
    const random = rng(seed);
    const counts: Record<string, number> = {};
    let warned = 0;
    let slowest = 0;
    const started = performance.now();
    const rounds = ROUNDS_OVERRIDE || ROUNDS;
    const timeBySection: Record<string, number> = {};
    for (let round = 0; round < rounds; round++) {
      let pick = random() * total;
      const [name] = SECTIONS.find(([, w]) => (pick -= w) < 0) ?? SECTIONS[0]!;
      const section = elf.sections.find((s) => s.name === name)!;
      const data = section.data;
      const at = Math.floor(random() * data.length);
      const n = 1 + Math.floor(random() * 8);
      const saved = data.slice(at, at + n);
      for (let i = 0; i < saved.length; i++) {
        const r = random();
        data[at + i] =
          r < 0.4
            ? data[at + i]! ^ (1 << Math.floor(random() * 8))
            : r < 0.7
              ? Math.floor(random() * 256)
              : r < 0.85
                ? 0
                : 0xff;
      }
      const t0 = performance.now();
      try {
        exercise(elf, name, at, { locStarts, rangeStarts, dieStarts, pcs, unitIndexOf, random });
      } catch (e) {
        throw new Error(
          `round ${round} (seed ${seed}), ${name} bytes ${at}..${at + n}: ${(e as Error).stack}`,
          { cause: e },
        );
      } finally {
        data.set(saved, at);
      }
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      if (ms > SLOW_ROUND_MS)
        throw new Error(
          `round ${round} (seed ${seed}) took ${ms.toFixed(0)} ms on ${name} at ${at}`,
        );
      counts[name] = (counts[name] ?? 0) + 1;
      timeBySection[name] = (timeBySection[name] ?? 0) + ms;
      warned += lastWarnings;
    }

    console.log(
      `DWARF fuzz: ${rounds} rounds in ${((performance.now() - started) / 1000).toFixed(1)} s (seed ${seed}), ` +
        `slowest ${slowest.toFixed(1)} ms, rounds with warnings ${warned}; rounds per section ${JSON.stringify(counts)}; ` +
        `ms per section ${JSON.stringify(Object.fromEntries(Object.entries(timeBySection).map(([k, v]) => [k, Math.round(v)])))}`,
    );
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(rounds);
  }, 170_000);
});

let lastWarnings = 0;

function exercise(
  elf: ElfFile,
  section: string,
  at: number,
  ctx: {
    locStarts: number[];
    rangeStarts: number[];
    dieStarts: number[];
    pcs: number[];
    unitIndexOf: (offset: number) => number;
    random: () => number;
  },
): void {
  const r = DebugInfo.fromElf(elf, { name: 'kernel' });
  if (!r.ok) return;
  const info = r.value;
  const pc = (): number => ctx.pcs[Math.floor(ctx.random() * ctx.pcs.length)] ?? 0;
  const before = (list: number[]): number | undefined => {
    let best: number | undefined;
    for (const x of list) if (x <= at) best = x;
    return best;
  };
  switch (section) {
    case '.debug_line': {
      // The unit whose line program holds the mutated byte, and a lookup in its table.
      let u = info.units[0];
      for (const x of info.units)
        if (x.stmtList !== undefined && x.stmtList <= at && x.stmtList >= (u?.stmtList ?? 0)) u = x;
      const t = u ? info.lineTable(u) : null;
      if (t) new LineIndex([t]).lookup(pc());
      break;
    }
    case '.debug_frame':
      for (let i = 0; i < 8; i++) info.unwindRowAt(pc() + 2);
      break;
    case '.debug_loc': {
      const start = before(ctx.locStarts);
      const u = info.units[0];
      if (start !== undefined && u) guard(() => readLocListV4(info.sections.loc!, start, u));
      break;
    }
    case '.debug_ranges': {
      const start = before(ctx.rangeStarts);
      const u = info.units[0];
      if (start !== undefined && u) guard(() => readRangesV4(info.sections.ranges!, start, u));
      break;
    }
    case '.debug_aranges':
      info.unitAt(pc());
      break;
    default: {
      // .debug_info, .debug_abbrev, .debug_str: DIEs decoded from shortly before the damage
      // (or, for the other sections, at a random place), with names, ranges and locations.
      const target =
        section === '.debug_info'
          ? at
          : Math.floor(ctx.random() * (info.sections.info?.length ?? 1));
      const index = ctx.unitIndexOf(target);
      const u = info.units[index];
      if (!u) break;
      let k = 0;
      while (k + 1 < ctx.dieStarts.length && ctx.dieStarts[k + 1]! <= target) k++;
      const from = Math.max(u.dieStart, ctx.dieStarts[Math.max(0, k - 20)]!);
      // One round in two hundred builds the whole tree (references, names through origins, types);
      // the others decode the damaged stretch alone, which is where the damage is met.
      const whole = ctx.random() < 0.005;
      guard(() => {
        for (const d of whole ? [...u.allDies()].slice(0, 3000) : u.scan(from, 400)) {
          d.str(DW_AT.name);
          guard(() => dieRanges(d));
          guard(() => dieLocation(d));
          if (whole) {
            d.name();
            info.types.typeOf(d);
          }
        }
      });
      break;
    }
  }
  lastWarnings = info.warnings.length > 0 ? 1 : 0;
}

/** Internal list readers report corrupt data as DwarfError; anything else is a bug. */
function guard(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof DwarfError)) throw e;
  }
}
