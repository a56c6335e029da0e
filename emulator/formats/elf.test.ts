/**
 * Tests for the ELF32 reader: a well-formed image built byte by byte, then every way a file can
 * be broken (truncation at each header, bad magic, wrong class, endianness and machine,
 * tables and segments pointing outside the file, bad string offsets).
 */
import { describe, expect, it } from 'vitest';
import { ElfError, EM_ARM, PT_LOAD, loadableSegments, parseElf, symbolAt } from './elf';

/** Builds a minimal valid ARM ELF: one PT_LOAD, .text, .symtab, .strtab, .shstrtab. */
function buildElf(): Uint8Array {
  const code = Uint8Array.from([0x00, 0xbf, 0x00, 0xbf, 0xfe, 0xe7, 0x00, 0x00]); // nop nop b .
  const shstr = new TextEncoder().encode('\0.text\0.symtab\0.strtab\0.shstrtab\0');
  const str = new TextEncoder().encode('\0main\0');
  const sym = new Uint8Array(32);
  const sv = new DataView(sym.buffer);
  sv.setUint32(16 + 0, 1, true); // "main"
  sv.setUint32(16 + 4, 0x101, true);
  sv.setUint32(16 + 8, 6, true);
  sym[16 + 12] = (1 << 4) | 2; // global func
  sv.setUint16(16 + 14, 1, true);

  const phoff = 52;
  const textOff = phoff + 32;
  const symOff = textOff + code.length;
  const strOff = symOff + sym.length;
  const shstrOff = strOff + str.length;
  const shoff = (shstrOff + shstr.length + 3) & ~3;
  const total = shoff + 5 * 40;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  v.setUint16(16, 2, true);
  v.setUint16(18, EM_ARM, true);
  v.setUint32(20, 1, true);
  v.setUint32(24, 0x101, true);
  v.setUint32(28, phoff, true);
  v.setUint32(32, shoff, true);
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, 1, true);
  v.setUint16(46, 40, true);
  v.setUint16(48, 5, true);
  v.setUint16(50, 4, true);
  // PT_LOAD
  v.setUint32(phoff, PT_LOAD, true);
  v.setUint32(phoff + 4, textOff, true);
  v.setUint32(phoff + 8, 0x100, true);
  v.setUint32(phoff + 12, 0x100, true);
  v.setUint32(phoff + 16, code.length, true);
  v.setUint32(phoff + 20, code.length + 8, true);
  v.setUint32(phoff + 24, 5, true);
  b.set(code, textOff);
  b.set(sym, symOff);
  b.set(str, strOff);
  b.set(shstr, shstrOff);
  const sh = (
    i: number,
    name: number,
    type: number,
    addr: number,
    off: number,
    size: number,
    link = 0,
  ): void => {
    const o = shoff + i * 40;
    v.setUint32(o, name, true);
    v.setUint32(o + 4, type, true);
    v.setUint32(o + 12, addr, true);
    v.setUint32(o + 16, off, true);
    v.setUint32(o + 20, size, true);
    v.setUint32(o + 24, link, true);
  };
  sh(1, 1, 1, 0x100, textOff, code.length);
  sh(2, 7, 2, 0, symOff, sym.length, 3);
  sh(3, 15, 3, 0, strOff, str.length);
  sh(4, 23, 3, 0, shstrOff, shstr.length);
  return b;
}

function patch(b: Uint8Array, f: (v: DataView) => void): Uint8Array {
  const c = b.slice();
  f(new DataView(c.buffer));
  return c;
}

function errorOf(bytes: Uint8Array): string {
  try {
    parseElf(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(ElfError);
    return (e as Error).message;
  }
  throw new Error('parseElf accepted a broken image');
}

describe('parseElf', () => {
  it('reads header, segments, sections and symbols', () => {
    const elf = parseElf(buildElf());
    expect(elf.entry).toBe(0x101);
    expect(elf.machine).toBe(EM_ARM);
    expect(elf.type).toBe(2);
    expect(elf.segments).toHaveLength(1);
    const seg = elf.segments[0]!;
    expect(seg.paddr).toBe(0x100);
    expect(seg.memsz).toBe(16);
    expect(Array.from(seg.data.subarray(0, 2))).toEqual([0x00, 0xbf]);
    expect(elf.sections.map((s) => s.name)).toEqual([
      '',
      '.text',
      '.symtab',
      '.strtab',
      '.shstrtab',
    ]);
    expect(elf.symbols).toEqual([
      { name: 'main', value: 0x101, size: 6, type: 'func', bind: 'global', section: 1 },
    ]);
    expect(loadableSegments(elf)).toHaveLength(1);
    expect(symbolAt(elf, 0x104)?.name).toBe('main');
    expect(symbolAt(elf, 0x200)).toBeUndefined();
  });

  it('names truncation at every length below the header', () => {
    const good = buildElf();
    expect(errorOf(good.subarray(0, 0))).toMatch(/truncated/);
    expect(errorOf(good.subarray(0, 10))).toMatch(/truncated/);
    expect(errorOf(good.subarray(0, 40))).toMatch(/truncated ELF header/);
    // Cut inside the program header table, the segment data and the section table.
    expect(errorOf(good.subarray(0, 60))).toMatch(/program header table lies outside/);
    expect(errorOf(good.subarray(0, 90))).toMatch(/segment 0 lies outside/);
    expect(errorOf(good.subarray(0, good.length - 10))).toMatch(
      /section header table lies outside/,
    );
  });

  it('rejects bad magic, class, endianness and architecture', () => {
    const good = buildElf();
    expect(errorOf(Uint8Array.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0]))).toMatch(/bad magic/);
    expect(errorOf(patch(good, (v) => v.setUint8(4, 2)))).toMatch(/not a 32-bit ELF.*64-bit/);
    expect(errorOf(patch(good, (v) => v.setUint8(5, 2)))).toMatch(/not a little-endian/);
    expect(errorOf(patch(good, (v) => v.setUint16(18, 62, true)))).toMatch(
      /wrong architecture: x86-64 \(e_machine 62\)/,
    );
    expect(errorOf(patch(good, (v) => v.setUint16(18, 243, true)))).toMatch(/RISC-V/);
  });

  it('rejects segments, tables and names pointing outside the file', () => {
    const good = buildElf();
    expect(errorOf(patch(good, (v) => v.setUint32(52 + 4, 0xfffffff0, true)))).toMatch(
      /segment 0 lies outside/,
    );
    // Issue 12: the end of the range was printed wrapped to 32 bits (0xffffffff..0xcbeb).
    expect(
      errorOf(
        patch(good, (v) => {
          v.setUint32(52 + 4, 0xffffffff, true);
          v.setUint32(52 + 16, 0xcbec, true);
          v.setUint32(52 + 20, 0xcbec, true);
        }),
      ),
    ).toMatch(
      /segment 0 lies outside the file \(bytes 0xffffffff\.\.0x10000cbeb of a \d+-byte file\)/,
    );
    expect(errorOf(patch(good, (v) => v.setUint32(52 + 16, 0x40, true)))).toMatch(
      /file size 64 exceeds memory size 16/,
    );
    expect(errorOf(patch(good, (v) => v.setUint32(28, 0x7fffffff, true)))).toMatch(
      /program header table/,
    );
    expect(errorOf(patch(good, (v) => v.setUint16(42, 8, true)))).toMatch(
      /program header entry size 8/,
    );
    expect(errorOf(patch(good, (v) => v.setUint16(50, 9, true)))).toMatch(
      /section name table index 9/,
    );
    const shoff = new DataView(good.buffer).getUint32(32, true);
    expect(errorOf(patch(good, (v) => v.setUint32(shoff + 40 + 0, 999, true)))).toMatch(
      /section 1 name offset 999/,
    );
    expect(errorOf(patch(good, (v) => v.setUint32(shoff + 40 + 20, 1 << 30, true)))).toMatch(
      /section 1 lies outside/,
    );
    expect(errorOf(patch(good, (v) => v.setUint32(shoff + 80 + 24, 1, true)))).toMatch(
      /links to 1, which is not a string table/,
    );
  });

  it('never throws anything but ElfError on random corruption', () => {
    const good = buildElf();
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 8;
    };
    for (let n = 0; n < 2000; n++) {
      const c = good.slice();
      for (let k = 0; k < 4; k++) c[16 + (rand() % (c.length - 16))] = rand() & 0xff;
      try {
        parseElf(c.subarray(0, rand() % 3 === 0 ? rand() % c.length : c.length));
      } catch (e) {
        expect(e).toBeInstanceOf(ElfError);
      }
    }
  });
});
