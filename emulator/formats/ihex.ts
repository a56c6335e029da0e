/**
 * Intel HEX: write and read the text format that flash tools accept for a complete image.
 *
 * `npm run kernel:build` writes image.hex (kernel + apps exactly as flashed) so any flasher
 * (OpenOCD, nrfjprog, pyOCD) can program a board in one step, and the IDE reads hex files a
 * user opens. Writing emits 16-byte data records, extended linear address records (type 04)
 * whenever the upper 16 address bits change, an optional start linear address (type 05) and
 * the end record. Reading verifies every checksum and each record's length against its type and
 * returns errors as values naming the line.
 *
 * Reading follows Intel's "Hexadecimal Object File Format Specification" (Rev. A, 1988): type 02
 * and 04 records carry 2 bytes (segment base / upper 16 address bits), type 03 carries CS:IP
 * (start = CS * 16 + IP, which objcopy writes for entries below 1 MiB) and type 05 a 32-bit
 * start, both 4 bytes; the end record carries none. Data after a type 02 record wraps inside its
 * 64 KiB segment, as the specification says. Data that would run past 4 GiB is refused rather
 * than wrapped to address 0, and an empty data record adds nothing.
 *
 * Usage:
 *   const text = writeIntelHex([{ address: 0, data: kernel }, { address: 0x40000, data: apps }]);
 *   const r = parseIntelHex(text); if (r.ok) r.value.segments ...
 */
import type { Result } from '../core/result';

export interface HexSegment {
  address: number;
  data: Uint8Array;
}

const byteHex = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

/** Each non-data record type: its name and the number of bytes it must carry. */
const RECORD_SHAPES: Record<number, { name: string; bytes: number }> = {
  1: { name: 'end-of-file record (type 01)', bytes: 0 },
  2: { name: 'extended segment address record (type 02)', bytes: 2 },
  3: { name: 'start segment address record (type 03)', bytes: 4 },
  4: { name: 'extended linear address record (type 04)', bytes: 2 },
  5: { name: 'start linear address record (type 05)', bytes: 4 },
};

function record(type: number, address: number, data: ArrayLike<number>): string {
  const bytes = [data.length, (address >>> 8) & 0xff, address & 0xff, type];
  for (let i = 0; i < data.length; i++) bytes.push(data[i]!);
  const sum = bytes.reduce((a, b) => a + b, 0);
  bytes.push((0x100 - (sum & 0xff)) & 0xff);
  return `:${bytes.map(byteHex).join('')}`;
}

/** Intel HEX text for `segments` (any order; overlapping segments are an error). */
export function writeIntelHex(
  segments: HexSegment[],
  options: { startAddress?: number; recordSize?: number } = {},
): string {
  const size = options.recordSize ?? 16;
  const sorted = [...segments].sort((a, b) => a.address - b.address);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    if (prev.address + prev.data.length > sorted[i]!.address)
      throw new RangeError(
        `segments overlap: 0x${prev.address.toString(16)}+${prev.data.length} and 0x${sorted[i]!.address.toString(16)}`,
      );
  }
  const lines: string[] = [];
  let upper = -1;
  for (const seg of sorted) {
    let at = 0;
    while (at < seg.data.length) {
      const address = seg.address + at;
      if (address > 0xffffffff) throw new RangeError('address beyond 32 bits');
      const hi = Math.floor(address / 0x10000);
      if (hi !== upper) {
        lines.push(record(4, 0, [(hi >>> 8) & 0xff, hi & 0xff]));
        upper = hi;
      }
      // A record may not cross a 64 KiB boundary: its 16-bit offset would wrap.
      const room = 0x10000 - (address & 0xffff);
      const n = Math.min(size, seg.data.length - at, room);
      lines.push(record(0, address & 0xffff, seg.data.subarray(at, at + n)));
      at += n;
    }
  }
  if (options.startAddress !== undefined) {
    const s = options.startAddress >>> 0;
    lines.push(record(5, 0, [(s >>> 24) & 0xff, (s >>> 16) & 0xff, (s >>> 8) & 0xff, s & 0xff]));
  }
  lines.push(':00000001FF');
  return `${lines.join('\n')}\n`;
}

export type HexResult = Result<{ segments: HexSegment[]; startAddress?: number }>;

/** Parse Intel HEX text; contiguous data records are merged into segments. */
export function parseIntelHex(text: string): HexResult {
  const segments: HexSegment[] = [];
  let current: { address: number; bytes: number[] } | undefined;
  let base = 0;
  /** After a type 02 record data wraps inside its 64 KiB segment; after type 04 it does not. */
  let segmented = false;
  let startAddress: number | undefined;
  let ended = false;
  const lines = text.split(/\r?\n/);
  const flush = (): void => {
    if (current) segments.push({ address: current.address, data: Uint8Array.from(current.bytes) });
    current = undefined;
  };
  const put = (address: number, data: number[]): void => {
    if (!current || current.address + current.bytes.length !== address) {
      flush();
      current = { address, bytes: [] };
    }
    for (const b of data) current.bytes.push(b);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `line ${i + 1}`;
    if (ended) return { ok: false, error: `${where}: data after the end-of-file record` };
    if (!line.startsWith(':')) return { ok: false, error: `${where}: does not start with ':'` };
    const body = line.slice(1);
    if (body.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(body))
      return { ok: false, error: `${where}: not an even number of hex digits` };
    const bytes: number[] = [];
    for (let j = 0; j < body.length; j += 2) bytes.push(parseInt(body.slice(j, j + 2), 16));
    if (bytes.length < 5 || bytes.length !== bytes[0]! + 5)
      return { ok: false, error: `${where}: length byte ${bytes[0]} does not match the record` };
    if ((bytes.reduce((a, b) => a + b, 0) & 0xff) !== 0)
      return { ok: false, error: `${where}: checksum mismatch` };
    const type = bytes[3]!;
    const offset = (bytes[1]! << 8) | bytes[2]!;
    const data = bytes.slice(4, 4 + bytes[0]!);
    const shape = RECORD_SHAPES[type];
    if (shape !== undefined && data.length !== shape.bytes)
      return {
        ok: false,
        error: `${where}: ${shape.name} must hold ${shape.bytes} bytes, not ${data.length}`,
      };
    const word = (i: number): number => data[i]! * 0x100 + data[i + 1]!;
    switch (type) {
      case 0: {
        if (data.length === 0) break;
        if (segmented && offset + data.length > 0x10000) {
          // (SBA + ((DRLO + DRI) mod 64K)): the record's tail continues at the segment start.
          const split = 0x10000 - offset;
          put(base + offset, data.slice(0, split));
          put(base, data.slice(split));
          break;
        }
        const address = base + offset;
        const end = address + data.length;
        if (end > 2 ** 32)
          return {
            ok: false,
            error: `${where}: data record at 0x${address.toString(16)} (${data.length} bytes) ends at 0x${end.toString(16)}, past the 32-bit address space`,
          };
        put(address, data);
        break;
      }
      case 1:
        ended = true;
        break;
      case 2:
        base = word(0) * 16;
        segmented = true;
        break;
      case 4:
        base = word(0) * 0x10000;
        segmented = false;
        break;
      case 3:
        startAddress = word(0) * 16 + word(2);
        break;
      case 5:
        startAddress = word(0) * 0x10000 + word(2);
        break;
      default:
        return { ok: false, error: `${where}: unknown record type ${type}` };
    }
  }
  flush();
  if (!ended) return { ok: false, error: 'no end-of-file record' };
  return {
    ok: true,
    value: startAddress === undefined ? { segments } : { segments, startAddress },
  };
}
