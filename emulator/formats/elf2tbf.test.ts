/**
 * Tests for the ELF-to-TBF packer, on a small ARM ELF assembled here byte by byte (flash code,
 * initialised data loaded from flash, a stack and bss in RAM) so the expected layout is known
 * exactly.
 */
import { describe, expect, it } from 'vitest';
import { parseElf, type ElfFile } from './elf';
import { elfToTbf } from './elf2tbf';
import { parseTbf } from './tbf';

interface Section {
  name: string;
  type: number;
  flags: number;
  addr: number;
  data?: Uint8Array;
  size?: number;
}
interface Segment {
  vaddr: number;
  paddr: number;
  data: Uint8Array;
  memsz: number;
  flags: number;
}

/** A minimal ELF32 little-endian ARM executable with the given segments and sections. */
function makeElf(entry: number, segments: Segment[], sections: Section[]): Uint8Array {
  const names = ['', ...sections.map((s) => s.name), '.shstrtab'];
  const strtab: number[] = [];
  const nameOffsets = names.map((n) => {
    const at = strtab.length;
    for (const c of n) strtab.push(c.charCodeAt(0));
    strtab.push(0);
    return at;
  });
  const phoff = 52;
  let at = phoff + 32 * segments.length;
  const segOffsets = segments.map((s) => {
    const o = at;
    at += s.data.length;
    return o;
  });
  const secOffsets = sections.map((s) => {
    const o = at;
    at += s.data?.length ?? 0;
    return o;
  });
  const strOffset = at;
  at += strtab.length;
  at = (at + 3) & ~3;
  const shoff = at;
  const shnum = sections.length + 2;
  const out = new Uint8Array(shoff + 40 * shnum);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  v.setUint16(16, 2, true);
  v.setUint16(18, 40, true);
  v.setUint32(20, 1, true);
  v.setUint32(24, entry, true);
  v.setUint32(28, phoff, true);
  v.setUint32(32, shoff, true);
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, segments.length, true);
  v.setUint16(46, 40, true);
  v.setUint16(48, shnum, true);
  v.setUint16(50, shnum - 1, true);
  segments.forEach((s, i) => {
    const o = phoff + 32 * i;
    [1, segOffsets[i]!, s.vaddr, s.paddr, s.data.length, s.memsz, s.flags, 4].forEach((w, j) =>
      v.setUint32(o + 4 * j, w, true),
    );
    out.set(s.data, segOffsets[i]!);
  });
  sections.forEach((s, i) => {
    const o = shoff + 40 * (i + 1);
    const size = s.data?.length ?? s.size ?? 0;
    [nameOffsets[i + 1]!, s.type, s.flags, s.addr, secOffsets[i]!, size, 0, 0, 4, 0].forEach(
      (w, j) => v.setUint32(o + 4 * j, w, true),
    );
    if (s.data) out.set(s.data, secOffsets[i]!);
  });
  out.set(strtab, strOffset);
  const o = shoff + 40 * (shnum - 1);
  [nameOffsets[names.length - 1]!, 3, 0, 0, strOffset, strtab.length, 0, 0, 1, 0].forEach((w, j) =>
    v.setUint32(o + 4 * j, w, true),
  );
  return out;
}

const ALLOC = 2;
const WRITE = 1;
const EXEC = 4;
const code = Uint8Array.from({ length: 0x40 }, (_, i) => i + 1);
const data = Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff);

function sampleElf(): Uint8Array {
  return makeElf(
    0x40081,
    [
      { vaddr: 0x40080, paddr: 0x40080, data: code, memsz: code.length, flags: 5 },
      { vaddr: 0x20008800, paddr: 0x400c0, data, memsz: data.length, flags: 6 },
      { vaddr: 0x20008808, paddr: 0x20008808, data: new Uint8Array(0), memsz: 0x20, flags: 6 },
    ],
    [
      { name: '.text', type: 1, flags: ALLOC | EXEC, addr: 0x40080, data: code },
      { name: '.stack', type: 8, flags: ALLOC | WRITE, addr: 0x20008000, size: 0x800 },
      { name: '.data', type: 1, flags: ALLOC | WRITE, addr: 0x20008800, data },
      { name: '.bss', type: 8, flags: ALLOC | WRITE, addr: 0x20008808, size: 0x20 },
    ],
  );
}

describe('elfToTbf', () => {
  it('places the binary where it was linked and fills in the header', () => {
    const r = elfToTbf(parseElf(sampleElf()), {
      packageName: 'sample',
      tbfAddress: 0x40000,
      totalSize: 0x400,
      shortId: 42,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const p = r.value;
    expect(p.tbf.length).toBe(0x400);
    expect(p.headerSize + p.protectedTrailerSize).toBe(0x80);
    expect([...p.tbf.subarray(0x80, 0xc0)]).toEqual([...code]);
    expect([...p.tbf.subarray(0xc0, 0xc6)]).toEqual([...data]);
    expect(p.ramStart).toBe(0x20008000);
    expect(p.ramStatic).toBe(0x828);
    expect(p.minimumRamSize).toBe(0x828 + 2048);

    const parsed = parseTbf(p.tbf);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const h = parsed.value;
    expect(h.packageName).toBe('sample');
    expect(h.shortId).toBe(42);
    expect(h.fixedAddresses).toEqual({ ram: 0x20008000, flash: 0x40080 });
    // Entry 0x40081 (Thumb bit kept), measured from the end of the header as Tock does.
    expect(h.program?.initFnOffset).toBe(0x81 - h.headerSize);
    // Main too, for kernels that predate the Program TLV; and the kernel version the app needs.
    expect(h.tlvs.map((t) => t.type)).toEqual([1, 9, 3, 5, 8, 10]);
    expect(h.main).toEqual({
      initFnOffset: 0x81 - h.headerSize,
      protectedTrailerSize: 0x80 - h.headerSize,
      minimumRamSize: 0x828 + 2048,
    });
    expect(h.kernelVersion).toEqual({ major: 2, minor: 0 });
    expect(h.program?.binaryEndOffset).toBe(0xc8); // 0xc6 rounded up to a word
    expect(h.program?.protectedTrailerSize).toBe(0x80 - h.headerSize);
    expect(h.footers).toHaveLength(1);
    expect(h.footers[0]).toMatchObject({ offset: 0xc8, type: 128, format: 0 });
  });

  it('rounds the minimum RAM up to the requested alignment', () => {
    const r = elfToTbf(parseElf(sampleElf()), {
      packageName: 'x',
      tbfAddress: 0x40000,
      ramAlign: 1024,
    });
    expect(r.ok && r.value.minimumRamSize).toBe(5120); // 0x828 + 2048 = 4136, rounded up
  });

  it('rounds the total size up to a power of two when no slot is given', () => {
    const r = elfToTbf(parseElf(sampleElf()), { packageName: 'x', tbfAddress: 0x40000 });
    expect(r.ok && r.value.tbf.length).toBe(256);
  });

  it('says when the header does not fit before the binary', () => {
    const r = elfToTbf(parseElf(sampleElf()), {
      packageName: 'n'.repeat(100),
      tbfAddress: 0x40000,
    });
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) expect(r.error).toMatch(/-byte TBF header does not fit in the 128 bytes/);
  });

  it('says when the app outgrows its slot', () => {
    const r = elfToTbf(parseElf(sampleElf()), {
      packageName: 's',
      tbfAddress: 0x40000,
      totalSize: 0x80,
    });
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) expect(r.error).toMatch(/needs 208 bytes of flash but its slot holds 128/);
  });

  it('packs a position-independent app: no FixedAddresses, binary right after the header', () => {
    const text = Uint8Array.from({ length: 0x30 }, (_, i) => 0x40 + i);
    const got = Uint8Array.of(1, 0, 0, 0x80, 4, 0, 0, 0);
    // One R_ARM_ABS32 relocation on the word at RAM offset 0x404 (kept by ld --emit-relocs).
    const rel = (type: number): Uint8Array => Uint8Array.of(4, 4, 0, 0, type, 0, 0, 0);
    const picElf = (relType: number): Uint8Array =>
      makeElf(
        0x80000011,
        [
          { vaddr: 0x80000000, paddr: 0x80000000, data: text, memsz: text.length, flags: 5 },
          { vaddr: 0x400, paddr: 0x80000030, data: got, memsz: got.length, flags: 6 },
        ],
        [
          { name: '.text', type: 1, flags: ALLOC | EXEC, addr: 0x80000000, data: text },
          { name: '.stack', type: 8, flags: ALLOC | WRITE, addr: 0, size: 0x400 },
          { name: '.got', type: 1, flags: ALLOC | WRITE, addr: 0x400, data: got },
          { name: '.rel.got', type: 9, flags: 0, addr: 0, data: rel(relType) },
          { name: '.bss', type: 8, flags: ALLOC | WRITE, addr: 0x408, size: 0x18 },
        ],
      );
    const r = elfToTbf(parseElf(picElf(2)), { packageName: 'pic', pic: true, totalSize: 0x200 });
    if (!r.ok) throw new Error(r.error);
    const p = r.value;
    expect(p.tbfAddress).toBeNull();
    expect(p.protectedTrailerSize).toBe(0);
    expect([...p.tbf.subarray(p.headerSize, p.headerSize + 0x30)]).toEqual([...text]);
    expect([...p.tbf.subarray(p.headerSize + 0x30, p.headerSize + 0x38)]).toEqual([...got]);
    expect(p.minimumRamSize).toBe(0x420 + 2048);
    const h = parseTbf(p.tbf);
    if (!h.ok) throw new Error(h.error.message);
    expect(h.value.fixedAddresses).toBeUndefined();
    expect(h.value.main?.initFnOffset).toBe(0x11);
    // The relocation table follows the flash image: one entry, the word at RAM offset 0x404.
    expect([...p.tbf.subarray(p.headerSize + 0x38, p.headerSize + 0x40)]).toEqual([
      1, 0, 0, 0, 4, 4, 0, 0,
    ]);
    expect(h.value.program?.binaryEndOffset).toBe(p.headerSize + 0x40);
    const unsupported = elfToTbf(parseElf(picElf(3)), { packageName: 'pic', pic: true });
    expect(unsupported).toMatchObject({ ok: false });
    if (!unsupported.ok) expect(unsupported.error).toMatch(/relocation type 3 at 0x404/);
    // A PIC app must be linked where its crt0 expects it.
    const wrong = elfToTbf(parseElf(sampleElf()), { packageName: 'x', pic: true });
    expect(wrong).toMatchObject({ ok: false });
    if (!wrong.ok) expect(wrong.error).toMatch(/must link its flash at 0x80000000/);
  });

  it('refuses a TBF address after the binary start', () => {
    const r = elfToTbf(parseElf(sampleElf()), { packageName: 's', tbfAddress: 0x50000 });
    if (!r.ok) expect(r.error).toMatch(/is after the binary's start 0x40080/);
    else expect.fail('accepted');
  });

  // Issue 12: documented never to throw, it threw "Maximum call stack size exceeded" (spread
  // arguments) on an ELF with 200,000 writable sections.
  it('packs an ELF with 200,000 writable sections and 100,000 flash segments', () => {
    const elf = parseElf(sampleElf());
    const many: ElfFile = {
      ...elf,
      sections: [
        ...elf.sections,
        ...Array.from({ length: 200_000 }, (_, i) => ({
          name: `.data.${i}`,
          type: 1,
          flags: ALLOC | WRITE,
          addr: 0x20008000 + 4 * i,
          offset: 0,
          size: 4,
          data: new Uint8Array(4),
        })),
      ],
    };
    const r = elfToTbf(many, { packageName: 'many', tbfAddress: 0x40000 });
    if (!r.ok) return expect.fail(r.error);
    expect(r.value.ramStart).toBe(0x20008000);
    expect(r.value.ramStatic).toBe(800_000);
    const text = elf.segments[0]!;
    const split: ElfFile = {
      ...elf,
      segments: Array.from({ length: 100_000 }, (_, i) => ({
        ...text,
        paddr: 0x40080 + 4 * (i % 16),
        filesz: 4,
        data: text.data.subarray(4 * (i % 16), 4 * (i % 16) + 4),
      })),
    };
    const r2 = elfToTbf(split, { packageName: 'split', tbfAddress: 0x40000 });
    if (!r2.ok) return expect.fail(r2.error);
    expect(r2.value.binaryStart).toBe(0x40080);
    expect(r2.value.binaryEndOffset).toBe(0xc0);
  });

  // Issue 12: a segment 2 GiB from the others gave "total size 1" (32-bit `&` on the size).
  it('sizes a segment far from the others correctly, and refuses what no TBF can hold', () => {
    const elf = parseElf(sampleElf());
    const far = (paddr: number): ElfFile => ({
      ...elf,
      segments: [
        ...elf.segments,
        {
          ...elf.segments[0]!,
          paddr,
          vaddr: paddr,
          filesz: 4,
          memsz: 4,
          data: code.subarray(0, 4),
        },
      ],
    });
    // 1 MiB away: packed, 2 MiB slot, the far word at its place.
    const near = elfToTbf(far(0x140000), { packageName: 'near', tbfAddress: 0x40000 });
    if (!near.ok) return expect.fail(near.error);
    expect(near.value.tbf.length).toBe(0x200000);
    expect(near.value.binaryEndOffset).toBe(0x100004);
    expect([...near.value.tbf.subarray(0x100000, 0x100004)]).toEqual([...code.subarray(0, 4)]);
    // 2 GiB away: the true span, in the error.
    const r = elfToTbf(far(0x80040000), { packageName: 'far', tbfAddress: 0x40000 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(
      /far: the app's flash segments span 0x40080-0x80040004 \(2147483652 bytes from the TBF start 0x40000\): a TBF holds at most 67108864 bytes/,
    );
    const top = elfToTbf(far(0xfffffffc), { packageName: 'top', tbfAddress: 0x40000 });
    expect(top.ok).toBe(false);
    if (!top.ok) expect(top.error).toMatch(/span 0x40080-0x100000000/);
  });
});
