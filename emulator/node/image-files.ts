/**
 * Reads the image files a user names on the command line, refusing what no flasher would
 * program: anything that is not a regular file, and files larger than the machine could hold.
 *
 * `readFileSync` on a path reads whatever is there: `/dev/zero` grows until the host runs out
 * of memory, and a FIFO blocks until someone writes to it. Here the file is opened without
 * blocking (O_NONBLOCK, so a FIFO with no writer does not hang the open), checked with fstat on
 * the same descriptor (so what is checked is what is read), and read only up to a limit set by
 * the machine's memory: a raw binary must fit the memory it is loaded into; an ELF or HEX file
 * may be larger than what it programs (debug information, HEX text is ~2.8 bytes per byte) but
 * at most IMAGE_FILE_FACTOR times the machine's whole programmable memory. Errors are values
 * naming the file.
 *
 * @example
 *   const r = readImageFile('apps.bin', { address: 0x40000 }, session.programmable(), 'nrf52840dk');
 *   if (!r.ok) console.error(r.error);
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import type { ProgrammableMemory } from '../session/image';

/** An ELF or HEX file may be this many times the machine's programmable memory. */
export const IMAGE_FILE_FACTOR = 64;
/** And never more than this (what one read into memory should ever be). */
export const IMAGE_FILE_CAP = 1024 * 1024 * 1024;

export type ReadResult = { ok: true; value: Uint8Array } | { ok: false; error: string };

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** What a non-regular file is, in words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The most bytes `path` may hold, and how to say so when it holds more. */
export function imageFileLimit(
  opts: { address?: number },
  memories: readonly ProgrammableMemory[],
  machine: string,
): { bytes: number; says: string } {
  if (opts.address !== undefined) {
    const a = opts.address;
    const home = memories.find((m) => a >= m.base && a < m.base + m.size);
    if (home !== undefined) {
      const bytes = home.base + home.size - a;
      return {
        bytes,
        says: `more than ${machine}'s ${home.name} at ${hex(a)} holds (${bytes} bytes)`,
      };
    }
    const bytes = memories.reduce((n, m) => Math.max(n, m.size), 0);
    return { bytes, says: `more than any memory of ${machine} holds (${bytes} bytes)` };
  }
  const total = memories.reduce((n, m) => n + m.size, 0);
  const bytes = Math.min(IMAGE_FILE_CAP, IMAGE_FILE_FACTOR * total);
  return {
    bytes,
    says: `larger than any image for ${machine} (at most ${bytes} bytes, ${IMAGE_FILE_FACTOR} times its programmable memory)`,
  };
}

/** Reads one image file; `address` is given for a raw binary (FILE@ADDRESS). */
export function readImageFile(
  path: string,
  opts: { address?: number },
  memories: readonly ProgrammableMemory[],
  machine: string,
): ReadResult {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO that has no writer returns at once instead of waiting.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      ok: false,
      error: `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      return {
        ok: false,
        error: `cannot read ${path}: ${path} is ${kindOf(st)}, not a regular file; give an ELF, Intel HEX or binary image file`,
      };
    const limit = imageFileLimit(opts, memories, machine);
    if (st.size > limit.bytes)
      return {
        ok: false,
        error: `cannot read ${path}: ${path} is ${st.size} bytes: ${limit.says}`,
      };
    // The file may change while it is read: read to its end, but never past the limit.
    const chunks: Uint8Array[] = [];
    let got = 0;
    for (;;) {
      const chunk = new Uint8Array(
        Math.min(Math.max(st.size - got, 0x10000), limit.bytes + 1 - got),
      );
      const n = chunk.length === 0 ? 0 : readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      got += n;
      if (got > limit.bytes)
        return {
          ok: false,
          error: `cannot read ${path}: ${path} grew while being read, past ${limit.bytes} bytes: ${limit.says}`,
        };
    }
    if (chunks.length === 1) return { ok: true, value: chunks[0]! };
    const out = new Uint8Array(got);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return { ok: true, value: out };
  } catch (e) {
    return { ok: false, error: `cannot read ${path}: ${(e as Error).message}` };
  } finally {
    closeSync(fd);
  }
}
