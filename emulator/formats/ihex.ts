/**
 * Intel HEX: write and read the text format that flash tools accept for a complete image.
 *
 * `npm run kernel:build` writes image.hex (kernel + apps exactly as flashed) so any flasher
 * (OpenOCD, nrfjprog, pyOCD) can program a board in one step, and the IDE reads hex files a
 * user opens. Writing emits 16-byte data records, extended linear address records (type 04)
 * whenever the upper 16 address bits change, an optional start linear address (type 05) and
 * the end record. Reading verifies every checksum and returns errors as values naming the line.
 *
 * Usage:
 *   const text = writeIntelHex([{ address: 0, data: kernel }, { address: 0x40000, data: apps }]);
 *   const r = parseIntelHex(text); if (r.ok) r.value.segments ...
 */

export interface HexSegment {
  address: number;
  data: Uint8Array;
}

const byteHex = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

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

export type HexResult =
  | { ok: true; value: { segments: HexSegment[]; startAddress?: number } }
  | { ok: false; error: string };

/** Parse Intel HEX text; contiguous data records are merged into segments. */
export function parseIntelHex(text: string): HexResult {
  const segments: HexSegment[] = [];
  let current: { address: number; bytes: number[] } | undefined;
  let base = 0;
  let startAddress: number | undefined;
  let ended = false;
  const lines = text.split(/\r?\n/);
  const flush = (): void => {
    if (current) segments.push({ address: current.address, data: Uint8Array.from(current.bytes) });
    current = undefined;
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
    switch (type) {
      case 0: {
        const address = base + offset;
        if (!current || current.address + current.bytes.length !== address) {
          flush();
          current = { address, bytes: [] };
        }
        current.bytes.push(...data);
        break;
      }
      case 1:
        ended = true;
        break;
      case 2:
        base = ((data[0]! << 8) | data[1]!) * 16;
        break;
      case 4:
        base = ((data[0]! << 8) | data[1]!) * 0x10000;
        break;
      case 3:
      case 5:
        startAddress = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
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
