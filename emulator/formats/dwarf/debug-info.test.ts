import { describe, expect, it } from 'vitest';
import { ok } from '../../core/result';
import { parseElf } from '../elf';
import { DebugInfo, ProgramSet, memoryFromSegments } from './index';
import { mixedElf } from './fixtures/mixed';

function load(bytes = mixedElf(), bias = 0): DebugInfo {
  const r = DebugInfo.load(bytes, { name: 'mixed', loadBias: bias });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('DebugInfo on an image with DWARF 4 and DWARF 5 units', () => {
  it('reads both units, their names through strp and strx forms', () => {
    const info = load();
    expect(info.units.map((u) => [u.version, u.name])).toEqual([
      [4, 'v4.c'],
      [5, 'v5.c'],
    ]);
    expect(info.units[1]!.producer).toMatch(/clang/);
    expect(info.warnings).toEqual([]);
    expect(info.notices).toEqual([]);
  });

  it('finds functions whose ranges come from addrx and rnglistx forms', () => {
    const info = load();
    const names = info.allFunctions().map((f) => [f.name, f.entry, f.file, f.line]);
    expect(names).toEqual([
      ['combine', 0x1000, '/fixture/v4.c', 12],
      ['_start', 0x100c, '/fixture/v4.c', 18],
      ['accumulate', 0x1030, '/fixture/v5.c', 34],
      ['manhattan', 0x111e, '/fixture/v5.c', 48],
      ['v5_entry', 0x1132, '/fixture/v5.c', 52],
    ]);
    expect(info.functionAt(0x1040)?.name).toBe('accumulate');
    expect(info.functionAt(0x1030 - 2)?.name).toBe('_start');
  });

  it('answers an address in no function plainly', () => {
    const info = load();
    expect(info.functionAt(0x0ffe)).toBeUndefined();
    expect(info.lineFor(0x0ffe)).toBeUndefined();
    expect(info.scopesAt(0x5000)).toEqual([]);
  });

  it('maps addresses to lines and lines to addresses in both line-table versions', () => {
    const info = load();
    expect(info.lineFor(0x1000)).toMatchObject({ file: '/fixture/v4.c', line: 13 });
    expect(info.lineFor(0x1038)).toMatchObject({ file: '/fixture/v5.c', line: 36, column: 3 });
    const l37 = info.addressesFor('v5.c', 37)!;
    expect(l37.line).toBe(37);
    expect(l37.addresses.length).toBeGreaterThan(1);
    for (const a of l37.addresses) expect(info.lineFor(a)?.line).toBe(37);
    // A line without code moves to the next line that has some (the function's first line).
    expect(info.addressesFor('/fixture/v5.c', 33)).toMatchObject({ line: 34, addresses: [0x1030] });
    expect(info.addressesFor('v5.c', 33, true)).toBeUndefined();
    expect(info.addressesFor('nope.c', 1)).toBeUndefined();
  });

  it('lists the scopes at an address: inlined call with its call site, blocks and variables', () => {
    const info = load();
    let found = false;
    for (let a = 0x1030; a < 0x111e && !found; a += 2) {
      const scopes = info.scopesAt(a);
      const inl = scopes.find((s) => s.kind === 'inlined');
      if (!inl) continue;
      found = true;
      expect(inl.name).toBe('scale');
      expect(inl.callSite).toMatchObject({ file: '/fixture/v5.c', line: 37 });
      expect(inl.variables.map((v) => v.name).sort()).toEqual(['k', 'r', 'v']);
      expect(scopes[scopes.length - 1]).toMatchObject({ kind: 'function', name: 'accumulate' });
      expect(scopes.flatMap((s) => s.variables.map((v) => v.name))).toEqual(
        expect.arrayContaining(['values', 'n', 'total', 'i']),
      );
    }
    expect(found).toBe(true);
  });

  it('gives type layouts by name: structs, bit fields, unions, C enums, arrays', () => {
    const info = load();
    const flags = info.typeLayout('flags');
    expect(flags.ok && flags.value.fields.map((f) => [f.name, f.bitOffset, f.bitSize])).toEqual([
      ['ready', 0, 1],
      ['mode', 1, 3],
      ['count', 4, 12],
    ]);
    expect(info.typeLayout('pair')).toMatchObject({ ok: true, value: { size: 16 } });
    expect(info.fieldOffset('pair', 'b')).toMatchObject({ ok: true, value: { offset: 8 } });
    const missing = info.typeLayout('no_such_type');
    expect(missing.ok).toBe(false);
    expect(info.findType('[int; 3]')?.size).toBe(12);
    expect(info.findStatic('table').map((s) => s.type.name)).toEqual(['[[int; 3]; 2]']);
  });

  it('reads statics from memory and renders them', async () => {
    const info = load();
    const elf = parseElf(mixedElf());
    const mem = memoryFromSegments(
      elf.segments.filter((s) => s.type === 1).map((s) => ({ address: s.vaddr, data: s.data })),
    );
    const set = new ProgramSet([info]);
    const origin = await set.evaluate('origin', { mem });
    expect(origin.ok && origin.value.text).toBe('point { x: 3, y: -4 }');
    const cell = await set.evaluate('table[1][2]', { mem });
    expect(cell.ok && cell.value.text).toBe('6');
    const status = await set.evaluate('status.count', { mem });
    expect(status.ok && status.value.text).toBe('1000');
    const fav = await set.evaluate('favourite', { mem });
    expect(fav.ok && fav.value.text).toBe('BLUE');
    const bad = await set.evaluate('origin.z', { mem });
    expect(bad.ok ? 'ok' : bad.error).toMatch(/has no field z/);
    expect(await set.evaluate('nothing_here', { mem })).toMatchObject({ ok: false });
    expect(ok(1).ok).toBe(true);
  });

  it('applies a load bias to every address in and out', () => {
    const info = load(mixedElf(), 0x10000);
    expect(info.functionAt(0x11040)?.name).toBe('accumulate');
    expect(info.functionAt(0x1040)).toBeUndefined();
    expect(info.lineFor(0x11000)).toMatchObject({ line: 13, address: 0x11000 });
    expect(info.addressesFor('v5.c', 34)?.addresses).toEqual([0x11030]);
    expect(info.findStatic('origin')[0]?.address).toBe(0x20010000);
  });
});

describe('bad input', () => {
  it('an ELF without debug information loads, with one notice saying why there is no source', () => {
    const bytes = mixedElf();
    const elf = parseElf(bytes);
    const stripped = {
      ...elf,
      sections: elf.sections.filter((s) => !s.name.startsWith('.debug_')),
    };
    const r = DebugInfo.fromElf(stripped, { name: 'app.elf' });
    if (!r.ok) throw new Error(r.error);
    expect(r.value.notices).toHaveLength(1);
    expect(r.value.notices[0]).toMatch(/app\.elf has no DWARF debug information.*symbols only/);
    // Instruction-level help still works: functions by symbol, no lines.
    expect(r.value.functionAt(0x1040)).toMatchObject({ name: 'accumulate', source: 'symbol' });
    expect(r.value.lineFor(0x1040)).toBeUndefined();
  });

  it('a unit that cannot be parsed is skipped with a warning naming it; the others load', () => {
    const bytes = mixedElf();
    const elf = parseElf(bytes);
    const info = elf.sections.find((s) => s.name === '.debug_info')!;
    // The second unit's header: version 5 at offset 4 of the unit; make it version 9.
    const second = 0x10a;
    info.data[second + 4] = 9;
    const r = DebugInfo.fromElf(elf, { name: 'mixed' });
    if (!r.ok) throw new Error(r.error);
    expect(r.value.units.map((u) => u.name)).toEqual(['v4.c']);
    expect(r.value.warnings).toEqual([
      expect.stringMatching(/skipped unit at 0x10a: .*unsupported DWARF version 9/),
    ]);
    expect(r.value.functionAt(0x1000)?.name).toBe('combine');
  });

  it('a DIE tree cut short keeps what was read and names the unit', () => {
    const elf = parseElf(mixedElf());
    const abbrev = elf.sections.find((s) => s.name === '.debug_abbrev')!;
    // Corrupt the clang unit's abbreviation table after its first entries.
    abbrev.data.fill(0x7f, 0x106 + 12, 0x106 + 40);
    const r = DebugInfo.fromElf(elf, { name: 'mixed' });
    if (!r.ok) throw new Error(r.error);
    r.value.allFunctions();
    expect(r.value.warnings.join('\n')).toMatch(/unit at 0x10a \(v5\.c\)|skipped unit at 0x10a/);
    expect(r.value.functionAt(0x1000)?.name).toBe('combine');
  });

  it('not an ELF at all: an error that names the problem', () => {
    const r = DebugInfo.load(new Uint8Array([1, 2, 3, 4, 5]), { name: 'x.bin' });
    expect(r).toEqual({
      ok: false,
      error: 'x.bin: not an ELF file: bad magic (expected 7f 45 4c 46)',
    });
  });
});
