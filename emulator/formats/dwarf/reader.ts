/**
 * ByteReader: bounds-checked little-endian cursor over one DWARF section.
 *
 * Every DWARF structure is read through this class so that a truncated or corrupt section
 * raises one `DwarfError` naming the section and offset instead of returning garbage or
 * reading past the buffer. Callers catch it at a unit boundary (one bad unit is skipped with
 * a warning, the rest still load). LEB128 values are returned as numbers: exact up to 2^53,
 * which covers every offset, address and size of a 32-bit target.
 *
 * @example
 *   const r: ByteReader = new ByteReader(section.data, '.debug_info');
 *   const length = r.u32();
 *   const version = r.u16();
 */

/** Malformed debug information; the message names the section and the offset. */
export class DwarfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DwarfError';
  }
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export class ByteReader {
  pos: number;
  end: number;
  private readonly view: DataView;

  constructor(
    readonly data: Uint8Array,
    /** Section name for error messages. */
    readonly section: string,
    start = 0,
    end = data.length,
  ) {
    this.pos = start;
    this.end = Math.min(end, data.length);
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  /** A reader over [start, end) of the same section. */
  sub(start: number, end: number): ByteReader {
    if (start < 0 || end > this.data.length || start > end)
      this.fail(`range ${hex(start)}..${hex(end)} lies outside the section`);
    return new ByteReader(this.data, this.section, start, end);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  fail(what: string): never {
    throw new DwarfError(`${this.section} at ${hex(this.pos)}: ${what}`);
  }

  private need(n: number): void {
    if (this.pos + n > this.end)
      this.fail(`truncated (needs ${n} byte${n === 1 ? '' : 's'}, ${this.end - this.pos} left)`);
  }

  u8(): number {
    this.need(1);
    return this.data[this.pos++]!;
  }

  i8(): number {
    this.need(1);
    return this.view.getInt8(this.pos++);
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  i16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const d = this.data;
    const p = this.pos;
    this.pos += 3;
    return d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16);
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A 64-bit value as a number (exact below 2^53; larger values lose low bits). */
  u64(): number {
    const lo = this.u32();
    const hi = this.u32();
    return hi * 0x1_0000_0000 + lo;
  }

  u64Big(): bigint {
    const lo = this.u32();
    const hi = this.u32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** An unsigned integer of `size` bytes (1, 2, 4 or 8). */
  uSized(size: number): number {
    switch (size) {
      case 1:
        return this.u8();
      case 2:
        return this.u16();
      case 4:
        return this.u32();
      case 8:
        return this.u64();
      default:
        return this.fail(`unsupported integer size ${size}`);
    }
  }

  /** A section offset: 4 bytes in 32-bit DWARF, 8 in 64-bit DWARF. */
  offset(is64: boolean): number {
    return is64 ? this.u64() : this.u32();
  }

  uleb(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.end) this.fail('truncated LEB128');
      const b = this.data[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
      // Over-long encodings (padding bytes) are legal; stop counting precision past 2^64.
      if (mul > 2 ** 70) mul = 2 ** 70;
    }
  }

  sleb(): number {
    let result = 0;
    let mul = 1;
    let b: number;
    do {
      if (this.pos >= this.end) this.fail('truncated LEB128');
      b = this.data[this.pos++]!;
      result += (b & 0x7f) * mul;
      mul *= 128;
      if (mul > 2 ** 70) mul = 2 ** 70;
    } while (b & 0x80);
    if (b & 0x40) result -= mul;
    return result;
  }

  /** A NUL-terminated string (Latin-1 bytes are decoded as UTF-8 where valid). */
  cstr(): string {
    const start = this.pos;
    let i = start;
    while (i < this.end && this.data[i] !== 0) i++;
    if (i >= this.end) this.fail('string is not NUL-terminated');
    this.pos = i + 1;
    return decodeUtf8(this.data, start, i);
  }

  bytes(n: number): Uint8Array {
    if (n < 0) this.fail(`negative length ${n}`);
    this.need(n);
    const b = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  skip(n: number): void {
    if (n < 0) this.fail(`negative length ${n}`);
    this.need(n);
    this.pos += n;
  }

  /**
   * An initial length field: returns the unit's length and whether it is 64-bit DWARF
   * (DWARF 5 section 7.4: 0xffffffff escapes to an 8-byte length; 0xfffffff0-0xfffffffe are
   * reserved).
   */
  initialLength(): { length: number; is64: boolean } {
    const l = this.u32();
    if (l === 0xffffffff) return { length: this.u64(), is64: true };
    if (l >= 0xfffffff0) this.fail(`reserved initial length ${hex(l)}`);
    return { length: l, is64: false };
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Decode [start, end) of `data`; pure ASCII (the common case) takes the fast path. */
export function decodeUtf8(data: Uint8Array, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (data[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii) return utf8.decode(data.subarray(start, end));
  if (end - start < 64) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(data[i]!);
    return s;
  }
  return String.fromCharCode.apply(null, data.subarray(start, end) as unknown as number[]);
}

/** Read a NUL-terminated string at `offset` of a string section, or undefined when out of range. */
export function stringAt(data: Uint8Array, offset: number): string | undefined {
  if (offset < 0 || offset >= data.length) return undefined;
  let i = offset;
  while (i < data.length && data[i] !== 0) i++;
  if (i >= data.length) return undefined;
  return decodeUtf8(data, offset, i);
}

/** Index of the last item whose key is at or below `key` in items sorted by key, or -1. */
export function lastAtOrBelow<T>(
  items: readonly T[],
  key: number,
  keyOf: (item: T) => number,
): number {
  let lo = 0;
  let hi = items.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (keyOf(items[mid]!) <= key) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}
