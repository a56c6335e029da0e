// The DWARF reader against llvm-dwarfdump-14 on the kernels, the apps and the mixed DWARF 4/5
// fixture: every line-table row (address, line, column, file, ISA, discriminator and flags),
// every file and directory entry, and the address ranges of every subprogram, inlined
// subroutine and lexical block. Counts are printed for the report; mismatches must be zero.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DebugInfo } from '../../emulator/formats/dwarf';
import { dieRanges } from '../../emulator/formats/dwarf/lists';
import { DW_TAG } from '../../emulator/formats/dwarf/codes';
import { allImages } from './images';
import { llvmDieRanges, llvmLineTables } from './llvm-dwarfdump';

const images = allImages();
const totals = { tables: 0, rows: 0, files: 0, dies: 0, ranges: 0 };

function load(path: string): DebugInfo {
  const r = DebugInfo.load(new Uint8Array(readFileSync(path)), { name: path });
  if (!r.ok) throw new Error(r.error);
  expect(r.value.warnings).toEqual([]);
  return r.value;
}

describe.each(images)('$label against llvm-dwarfdump-14', ({ path }) => {
  it('has the same line tables, row by row', () => {
    const info = load(path);
    const theirs = llvmLineTables(path);
    const mismatches: string[] = [];
    const mine = new Map<number, NonNullable<ReturnType<DebugInfo['lineTable']>>>();
    for (const u of info.units) {
      const t = info.lineTable(u);
      if (t) mine.set(t.offset, t);
    }
    expect([...mine.keys()].sort((a, b) => a - b)).toEqual(
      [...theirs.keys()].sort((a, b) => a - b),
    );
    for (const [offset, ref] of theirs) {
      const t = mine.get(offset)!;
      expect(t.version, `version of the table at ${offset}`).toBe(ref.version);
      const base = t.version >= 5 ? 0 : 1;
      for (const [i, dir] of ref.includeDirs) {
        if (t.directories[i] !== dir)
          mismatches.push(`table ${offset}: directory ${i}: ${t.directories[i]} != ${dir}`);
      }
      expect(t.directories.length - (t.version >= 5 ? 0 : 1)).toBe(ref.includeDirs.size);
      for (const [i, f] of ref.files) {
        const m = t.files[i];
        totals.files++;
        if (!m || m.name !== f.name || m.dirIndex !== f.dirIndex)
          mismatches.push(
            `table ${offset}: file ${i}: ${JSON.stringify(m)} != ${JSON.stringify(f)}`,
          );
      }
      expect(t.files.length - base).toBe(ref.files.size);
      if (t.rows.length !== ref.rows.length)
        mismatches.push(
          `table ${offset}: ${t.rows.length} rows, llvm-dwarfdump has ${ref.rows.length}`,
        );
      for (let i = 0; i < Math.min(t.rows.length, ref.rows.length); i++) {
        const a = t.rows[i]!;
        const b = ref.rows[i]!;
        const flags = [
          a.isStmt && 'is_stmt',
          a.basicBlock && 'basic_block',
          a.endSequence && 'end_sequence',
          a.prologueEnd && 'prologue_end',
          a.epilogueBegin && 'epilogue_begin',
        ]
          .filter((x): x is string => typeof x === 'string')
          .sort();
        totals.rows++;
        if (
          a.address !== b.address ||
          a.line !== b.line ||
          a.column !== b.column ||
          a.file !== b.file ||
          a.isa !== b.isa ||
          a.discriminator !== b.discriminator ||
          flags.join(' ') !== b.flags.join(' ')
        )
          mismatches.push(`table ${offset} row ${i}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`);
      }
      totals.tables++;
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
  });

  it('has the same address ranges for every function, inlined call and lexical block', () => {
    const info = load(path);
    const theirs = llvmDieRanges(path, [
      'DW_TAG_subprogram',
      'DW_TAG_inlined_subroutine',
      'DW_TAG_lexical_block',
    ]);
    const tags = new Set<number>([
      DW_TAG.subprogram,
      DW_TAG.inlined_subroutine,
      DW_TAG.lexical_block,
    ]);
    const mismatches: string[] = [];
    let count = 0;
    for (const u of info.units) {
      for (const die of u.allDies()) {
        if (!tags.has(die.tag)) continue;
        count++;
        const ref = theirs.get(die.offset);
        const mine = dieRanges(die);
        totals.dies++;
        totals.ranges += mine.length;
        if (!ref) {
          mismatches.push(
            `DIE 0x${die.offset.toString(16)} is not a function or scope for llvm-dwarfdump`,
          );
          continue;
        }
        if (JSON.stringify(mine) !== JSON.stringify(ref.ranges))
          mismatches.push(
            `DIE 0x${die.offset.toString(16)} (${ref.tag}): ${JSON.stringify(mine)} != ${JSON.stringify(ref.ranges)}`,
          );
      }
    }
    expect(count).toBe(theirs.size);
    expect(mismatches.slice(0, 20)).toEqual([]);
  });
});

describe('oracle totals', () => {
  it('compared something on every image', () => {
    console.log(
      `llvm-dwarfdump comparison: ${images.length} images, ${totals.tables} line tables, ${totals.rows} rows, ` +
        `${totals.files} file entries, ${totals.dies} DIE ranges (${totals.ranges} ranges); mismatches: 0`,
    );
    expect(totals.rows).toBeGreaterThan(10_000);
    expect(totals.dies).toBeGreaterThan(1_000);
  });
});
