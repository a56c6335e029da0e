import { describe, expect, it } from 'vitest';
import { ByteReader, DwarfError } from './reader';

describe('ByteReader', () => {
  it('reads LEB128 as the DWARF 5 standard encodes it (section 7.6)', () => {
    const r = new ByteReader(
      new Uint8Array([2, 127, 0x80, 1, 0x81, 0x7f, 0x7e, 0xff, 0x7e, 0x80, 0x7f]),
      't',
    );
    expect([r.uleb(), r.uleb(), r.uleb(), r.uleb()]).toEqual([2, 127, 128, 16257]);
    r.pos = 6;
    expect([r.sleb(), r.sleb(), r.sleb()]).toEqual([-2, -129, -128]);
  });

  it('reads 64-bit DWARF initial lengths and refuses reserved ones', () => {
    const r = new ByteReader(
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0, 0, 0, 0, 0]),
      '.debug_info',
    );
    expect(r.initialLength()).toEqual({ length: 8, is64: true });
    expect(() =>
      new ByteReader(new Uint8Array([0xf0, 0xff, 0xff, 0xff]), '.debug_info').initialLength(),
    ).toThrow(/reserved initial length/);
  });

  it('names the section and offset of truncated data', () => {
    const r = new ByteReader(new Uint8Array([1, 2, 3]), '.debug_line');
    r.u16();
    expect(() => r.u32()).toThrow(DwarfError);
    expect(() => r.u32()).toThrow('.debug_line at 0x2: truncated (needs 4 bytes, 1 left)');
    expect(() => new ByteReader(new Uint8Array([0x80, 0x80]), '.debug_abbrev').uleb()).toThrow(
      /\.debug_abbrev.*truncated LEB128/,
    );
    expect(() => new ByteReader(new Uint8Array([0x61, 0x62]), '.debug_str').cstr()).toThrow(
      /not NUL-terminated/,
    );
  });
});
