/**
 * Tests for the DWARF reader's memory cache: one read per 64-byte line for a stop, and
 * `prefetch` filling many lines with one read (an unwind's stack in one trip), falling back to
 * line reads where the one read fails.
 */
import { describe, expect, it } from 'vitest';
import { err, ok } from '../../core/result';
import { cachedMemory, type ReadMemory } from './memory';

/** 1 KiB of memory at 0x1000 (bytes = low address byte); a log of the reads asked for. */
function target(): { read: ReadMemory; reads: string[] } {
  const reads: string[] = [];
  const read: ReadMemory = async (address, length) => {
    reads.push(`${address.toString(16)}/${length.toString(16)}`);
    if (address < 0x1000 || address + length > 0x1400) return err('unmapped');
    return ok(Uint8Array.from({ length }, (_, i) => (address + i) & 0xff));
  };
  return { read, reads };
}

describe('cachedMemory', () => {
  it('reads each line once', async () => {
    const t = target();
    const mem = cachedMemory(t.read);
    expect(await mem(0x1004, 4)).toEqual(ok(Uint8Array.of(4, 5, 6, 7)));
    expect(await mem(0x1008, 4)).toEqual(ok(Uint8Array.of(8, 9, 10, 11)));
    expect(t.reads).toEqual(['1000/40']);
  });

  it('prefetch: the lines of a range in one read, then served from it', async () => {
    const t = target();
    const mem = cachedMemory(t.read);
    mem.prefetch(0x1010, 0x100);
    const a = await mem(0x1020, 4);
    const b = await mem(0x10fc, 8);
    expect(a).toEqual(ok(Uint8Array.of(0x20, 0x21, 0x22, 0x23)));
    expect(b).toEqual(ok(Uint8Array.of(0xfc, 0xfd, 0xfe, 0xff, 0x00, 0x01, 0x02, 0x03)));
    // Line-aligned: 0x1000 to the end of the line holding 0x110f.
    expect(t.reads).toEqual(['1000/140']);
  });

  it('prefetch that fails (partly unmapped) reads line by line, as without it', async () => {
    const t = target();
    const mem = cachedMemory(t.read);
    mem.prefetch(0x13c0, 0x80);
    expect(await mem(0x13c4, 2)).toEqual(ok(Uint8Array.of(0xc4, 0xc5)));
    expect((await mem(0x1400, 4)).ok).toBe(false);
    expect(t.reads).toEqual(['13c0/80', '13c0/40', '1400/40', '1400/4']);
  });
});
