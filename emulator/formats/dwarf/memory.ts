/**
 * Memory access for everything in the DWARF reader that looks at a live target.
 *
 * Memory is asynchronous because it comes from a `DebugTarget` across a worker or a socket
 * (emulator/debug/target.ts). `ReadMemory` is the one shape every API here takes; `cachedMemory`
 * wraps one so that a backtrace or a value tree, which read the same stack words many times,
 * asks the target once per 64-byte line; `prefetch` fills many lines with one read (a stop's
 * stack: an unwind otherwise asks for its lines one after another, each a trip to the target).
 *
 * @example
 *   const mem = cachedMemory((a, n) => target.readMemory(a, n));
 *   const word = await readU32(mem, sp);
 */
import { err, ok, type Result } from '../../core/result';

/** Reads `length` bytes at `address`; an error names why (unmapped, target running...). */
export type ReadMemory = (address: number, length: number) => Promise<Result<Uint8Array>>;

const LINE = 64;

/**
 * A read-through cache over `read` for one stop of the target (make a new one after the target
 * runs). Reads that fail line-wise are retried exactly, so a partly mapped line still works.
 */
export function cachedMemory(read: ReadMemory): CachedMemory {
  const lines = new Map<number, Promise<Result<Uint8Array>>>();
  const line = (base: number): Promise<Result<Uint8Array>> => {
    let p = lines.get(base);
    if (!p) {
      p = read(base, LINE);
      lines.set(base, p);
    }
    return p;
  };
  const cached = async (address: number, length: number): Promise<Result<Uint8Array>> => {
    address >>>= 0;
    if (length <= 0) return ok(new Uint8Array(0));
    if (length > 4096) return read(address, length);
    const out = new Uint8Array(length);
    let at = address;
    while (at < address + length) {
      const base = at - (at % LINE);
      const r = await line(base);
      if (!r.ok || r.value.length < LINE) return read(address, length);
      const from = at - base;
      const n = Math.min(LINE - from, address + length - at);
      out.set(r.value.subarray(from, from + n), at - address);
      at += n;
    }
    return ok(out);
  };
  const prefetch = (address: number, length: number): void => {
    const first = (address >>> 0) - ((address >>> 0) % LINE);
    const end = Math.min((address >>> 0) + length, 0x1_0000_0000);
    const n = Math.ceil((end - first) / LINE) * LINE;
    if (n <= 0 || first + n > 0x1_0000_0000) return;
    const whole = read(first, n);
    for (let base = first; base < first + n; base += LINE) {
      if (lines.has(base)) continue;
      // A line of the one read; a read that failed (part of the range unmapped) asks per line.
      lines.set(
        base,
        whole.then((r) =>
          r.ok && r.value.length === n
            ? ok(r.value.subarray(base - first, base - first + LINE))
            : read(base, LINE),
        ),
      );
    }
  };
  return Object.assign(cached, { prefetch });
}

/** `cachedMemory`'s reader, with `prefetch(address, length)`: those lines in one read. */
export type CachedMemory = ReadMemory & { prefetch(address: number, length: number): void };

export async function readU32(mem: ReadMemory, address: number): Promise<Result<number>> {
  const r = await mem(address >>> 0, 4);
  if (!r.ok) return r;
  if (r.value.length < 4) return err(`short read at 0x${(address >>> 0).toString(16)}`);
  const b = r.value;
  return ok((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0);
}

/** Memory backed by byte arrays at fixed addresses (a core dump, an ELF's loadable segments). */
export function memoryFromSegments(segments: { address: number; data: Uint8Array }[]): ReadMemory {
  return async (address, length) => {
    address >>>= 0;
    for (const s of segments) {
      if (address >= s.address && address + length <= s.address + s.data.length)
        return ok(s.data.slice(address - s.address, address - s.address + length));
    }
    return err(`no memory at 0x${address.toString(16)} (${length} bytes)`);
  };
}
