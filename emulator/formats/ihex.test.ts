/** Tests for the Intel HEX writer and reader: records, 64 KiB boundaries, errors. */
import { describe, expect, it } from 'vitest';
import { parseIntelHex, writeIntelHex } from './ihex';

describe('Intel HEX', () => {
  it('writes the classic record format with checksums', () => {
    const text = writeIntelHex([{ address: 0x100, data: Uint8Array.of(1, 2, 3) }]);
    expect(text).toBe(':020000040000FA\n:03010000010203F6\n:00000001FF\n');
  });

  it('round-trips segments across a 64 KiB boundary and a start address', () => {
    const a = Uint8Array.from({ length: 40 }, (_, i) => i);
    const b = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    const text = writeIntelHex(
      [
        { address: 0x3fff0, data: b },
        { address: 0, data: a },
      ],
      { startAddress: 0x1234 },
    );
    expect(text).toContain(':020000040004F6'); // upper address 0x0004 once 0x40000 is reached
    const r = parseIntelHex(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.startAddress).toBe(0x1234);
    expect(r.value.segments.map((s) => [s.address, s.data.length])).toEqual([
      [0, 40],
      [0x3fff0, 300],
    ]);
    expect([...r.value.segments[1]!.data]).toEqual([...b]);
  });

  it('refuses overlapping segments', () => {
    expect(() =>
      writeIntelHex([
        { address: 0, data: new Uint8Array(8) },
        { address: 4, data: new Uint8Array(8) },
      ]),
    ).toThrow(/overlap/);
  });

  it('names the line with a bad checksum', () => {
    const r = parseIntelHex(':03010000010203F7\n:00000001FF\n');
    expect(r).toEqual({ ok: false, error: 'line 1: checksum mismatch' });
    expect(parseIntelHex(':00000000FF\n')).toMatchObject({ ok: false });
  });

  describe('records that are malformed by the specification', () => {
    /** One record with its checksum (Intel HEX specification, Rev A: ":LLAAAATT...CC"). */
    const rec = (type: number, offset: number, bytes: number[]): string => {
      const all = [bytes.length, offset >> 8, offset & 0xff, type, ...bytes];
      const sum = (0x100 - (all.reduce((a, b) => a + b, 0) & 0xff)) & 0xff;
      return `:${[...all, sum].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('')}`;
    };
    const EOF = ':00000001FF';
    const parse = (...lines: string[]) => parseIntelHex([...lines, EOF, ''].join('\n'));

    // Issue 12: a type-04 record with no data read its missing bytes as 0, a type-05 record
    // with one byte gave a start address made of undefined bytes.
    it('refuses address and start records of the wrong length, naming the line', () => {
      expect(parse(rec(0, 0, [1]), rec(4, 0, []))).toEqual({
        ok: false,
        error: 'line 2: extended linear address record (type 04) must hold 2 bytes, not 0',
      });
      expect(parse(rec(2, 0, [0x10]))).toEqual({
        ok: false,
        error: 'line 1: extended segment address record (type 02) must hold 2 bytes, not 1',
      });
      expect(parse(rec(5, 0, [0x40]))).toEqual({
        ok: false,
        error: 'line 1: start linear address record (type 05) must hold 4 bytes, not 1',
      });
      expect(parse(rec(3, 0, [0, 0]))).toEqual({
        ok: false,
        error: 'line 1: start segment address record (type 03) must hold 4 bytes, not 2',
      });
      expect(parseIntelHex(`${rec(1, 0, [0])}\n`)).toEqual({
        ok: false,
        error: 'line 1: end-of-file record (type 01) must hold 0 bytes, not 1',
      });
    });

    it('does not count a zero-length data record as data', () => {
      const r = parse(rec(4, 0, [0, 4]), rec(0, 0x10, []));
      expect(r).toEqual({ ok: true, value: { segments: [] } });
      const between = parse(rec(0, 0, [1, 2]), rec(0, 0x100, []), rec(0, 2, [3]));
      expect(between.ok && between.value.segments.map((g) => [g.address, [...g.data]])).toEqual([
        [0, [1, 2, 3]],
      ]);
    });

    it('reads a type-03 start address as CS:IP (what objcopy writes below 1 MiB)', () => {
      // Entry 0x40081: CS = 0x4000, IP = 0x0081.
      const r = parse(rec(0, 0, [1]), rec(3, 0, [0x40, 0x00, 0x00, 0x81]));
      expect(r.ok && r.value.startAddress).toBe(0x40081);
    });

    it('refuses data that runs past 4 GiB, printing the real end', () => {
      const r = parse(rec(4, 0, [0xff, 0xff]), rec(0, 0xfff8, new Array<number>(16).fill(7)));
      expect(r).toEqual({
        ok: false,
        error:
          'line 2: data record at 0xfffffff8 (16 bytes) ends at 0x100000008, past the 32-bit address space',
      });
    });

    it('wraps data inside its 64 KiB segment after a type-02 record, as the specification says', () => {
      const r = parse(rec(2, 0, [0x10, 0x00]), rec(0, 0xfffe, [1, 2, 3, 4]));
      expect(r.ok && r.value.segments.map((g) => [g.address, [...g.data]])).toEqual([
        [0x1fffe, [1, 2]],
        [0x10000, [3, 4]],
      ]);
    });
  });
});
