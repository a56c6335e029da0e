/**
 * Kernel attributes: the block of TLVs that ends kernel flash with "TOCK", read backwards.
 *
 * Tock kernels (and ours, kernel/kernel/src/board.rs) end their flash with attributes that tell
 * loading tools where things are: reading backwards from the end, the sentinel "TOCK", three
 * reserved bytes, a version byte, then TLVs each written value first and `type u16, length u16`
 * last, so a reader walks from the end towards lower addresses. Types: 0x0101 app RAM (start,
 * length), 0x0102 kernel flash (start, length), 0x0103 kernel version. The apps start where
 * kernel flash ends. Tools read the bytes just below the apps region (tockloader reads 100).
 *
 * @example
 *   const r = parseKernelAttributes(bytesBelow0x40000);
 *   if (r.ok) r.value.kernelFlash; // { start: 0, length: 0x40000 }
 */
import { err, ok, type Result } from '../core/result';

export const KERNEL_ATTRIBUTE_TYPES = {
  appRam: 0x0101,
  kernelFlash: 0x0102,
  kernelVersion: 0x0103,
} as const;

export interface KernelAttributes {
  version: number;
  appRam?: { start: number; length: number };
  kernelFlash?: { start: number; length: number };
  kernelVersion?: { major: number; minor: number };
  /** TLVs of types this reader does not know: type and raw value. */
  other: { type: number; value: Uint8Array }[];
}

/**
 * The attributes in `tail`, whose last byte is the last byte of kernel flash. Fails when the
 * sentinel is missing (no attributes there: an older kernel, or the wrong address) or a TLV
 * runs past the start of `tail`.
 */
export function parseKernelAttributes(tail: Uint8Array): Result<KernelAttributes> {
  const n = tail.length;
  const at = (i: number): number => tail[i] ?? 0;
  if (n < 8 || String.fromCharCode(at(n - 4), at(n - 3), at(n - 2), at(n - 1)) !== 'TOCK')
    return err('no kernel attributes: the bytes before the apps region do not end in "TOCK"');
  const view = new DataView(tail.buffer, tail.byteOffset, n);
  const attrs: KernelAttributes = { version: at(n - 8), other: [] };
  let end = n - 8;
  while (end >= 4) {
    const type = view.getUint16(end - 4, true);
    const length = view.getUint16(end - 2, true);
    if (type === 0 || type === 0xffff) break; // padding or erased flash: no more TLVs
    const start = end - 4 - length;
    if (start < 0) return err(`kernel attribute 0x${type.toString(16)} runs past the bytes read`);
    const value = tail.slice(start, start + length);
    const word = (o: number): number => view.getUint32(start + o, true);
    if (type === KERNEL_ATTRIBUTE_TYPES.appRam && length >= 8)
      attrs.appRam = { start: word(0), length: word(4) };
    else if (type === KERNEL_ATTRIBUTE_TYPES.kernelFlash && length >= 8)
      attrs.kernelFlash = { start: word(0), length: word(4) };
    else if (type === KERNEL_ATTRIBUTE_TYPES.kernelVersion && length >= 4)
      attrs.kernelVersion = {
        major: view.getUint16(start, true),
        minor: view.getUint16(start + 2, true),
      };
    else attrs.other.push({ type, value });
    end = start;
  }
  return ok(attrs);
}
