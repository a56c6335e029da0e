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
});
