// The build summary: kernel use from an ELF's segments, app use from TBF headers, against a
// board layout; warnings as a limit nears or is passed; notes for what is missing.
import { describe, expect, it } from 'vitest';
import { PT_LOAD, type ElfFile, type ElfSegment } from '../../emulator/formats/elf';
import type { TbfHeader } from '../../emulator/formats/tbf';
import { computeSummary, kernelUsage, type BoardLayout } from './summary';

const layout: BoardLayout = {
  flash: { kernel: [0, 0x40000], apps: [0x40000, 0xc0000] },
  ram: { kernel: [0x20000000, 0x8000], apps: [0x20008000, 0x18000] },
};

const seg = (vaddr: number, paddr: number, filesz: number, memsz: number): ElfSegment => ({
  type: PT_LOAD,
  offset: 0,
  vaddr,
  paddr,
  filesz,
  memsz,
  flags: 0,
  data: new Uint8Array(filesz),
});

const elf = (segments: ElfSegment[]): ElfFile => ({ segments }) as unknown as ElfFile;

const tbf = (totalSize: number, binaryEnd: number, ram: number): TbfHeader =>
  ({
    totalSize,
    program: {
      binaryEndOffset: binaryEnd,
      minimumRamSize: ram,
      initFnOffset: 0,
      protectedTrailerSize: 0,
      appVersion: 0,
    },
  }) as unknown as TbfHeader;

describe('build summary', () => {
  it('counts the kernel flash as stored bytes and its RAM as the RAM segments', () => {
    const k = elf([
      seg(0, 0, 0x10000, 0x10000), // text + rodata
      seg(0x20000000, 0x10000, 0x100, 0x2100), // .data (stored in flash) + .bss
      seg(0x20002100, 0x20002100, 0, 0x1000), // stack
    ]);
    expect(kernelUsage(k, layout)).toEqual({ flash: 0x10100, ram: 0x3100 });
  });

  it('lists the kernel and each app against the layout, without warnings when there is room', () => {
    const s = computeSummary({
      board: 'b',
      layout,
      kernel: elf([seg(0, 0, 0x10000, 0x10000), seg(0x20000000, 0x10000, 0, 0x1000)]),
      apps: [
        { name: 'hello', header: tbf(0x4000, 0x1d7c, 4096) },
        { name: 'rng', header: tbf(0x4000, 0x2000, 4096) },
      ],
    });
    expect(s.parts.map((p) => p.name)).toEqual(['kernel', 'hello', 'rng']);
    expect(s.parts[1]).toEqual({
      name: 'hello',
      kind: 'app',
      flash: { used: 0x1d7c, available: 0x4000 },
      ram: { used: 4096, available: 0x18000 },
    });
    expect(s.regions).toContainEqual({
      name: 'apps',
      memory: 'flash',
      used: 0x8000,
      size: 0xc0000,
    });
    expect(s.warnings).toEqual([]);
  });

  it('warns as a region nears its limit and says when it is over', () => {
    const s = computeSummary({
      board: 'b',
      layout,
      kernel: elf([seg(0, 0, 0x3a000, 0x3a000), seg(0x20000000, 0x3a000, 0, 0x9000)]),
      apps: [],
    });
    expect(s.warnings).toEqual([
      'kernel flash is 91% used (232 KiB of 256 KiB)',
      'kernel RAM is over its limit: 113% (36 KiB of 32 KiB); the image will not fit on b',
    ]);
  });

  it('passes on notes and measures what it has', () => {
    const s = computeSummary({ board: 'b', layout, kernel: null, apps: [], notes: ['no ELF'] });
    expect(s).toEqual({ board: 'b', parts: [], regions: [], warnings: [], notes: ['no ELF'] });
  });
});
