/**
 * Tests for reading image files: regular files are read whole, anything else is refused without
 * reading (a character device, a FIFO with no writer, a directory), and sizes are bounded by the
 * machine's memory before a byte is read.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGE_FILE_CAP, imageFileLimit, readImageFile } from './image-files';

const tmp = mkdtempSync(join(tmpdir(), 'image-files-'));
const MEMORIES = [
  { name: 'flash', base: 0, size: 0x100000 },
  { name: 'RAM', base: 0x20000000, size: 0x40000 },
];

describe('readImageFile', () => {
  it('reads a regular file whole, and an empty one as empty', () => {
    const f = join(tmp, 'app.bin');
    const bytes = Uint8Array.from({ length: 200_000 }, (_, i) => i & 0xff);
    writeFileSync(f, bytes);
    const r = readImageFile(f, { address: 0x40000 }, MEMORIES, 'board');
    expect(r.ok && [...r.value].every((b, i) => b === bytes[i]) && r.value.length).toBe(200_000);
    const e = join(tmp, 'empty.bin');
    writeFileSync(e, '');
    expect(readImageFile(e, {}, MEMORIES, 'board')).toEqual({ ok: true, value: new Uint8Array(0) });
  });

  it('refuses what is not a regular file, naming what it is', () => {
    expect(readImageFile('/dev/zero', { address: 0 }, MEMORIES, 'board')).toEqual({
      ok: false,
      error:
        'cannot read /dev/zero: /dev/zero is a character device, not a regular file; give an ELF, Intel HEX or binary image file',
    });
    const fifo = join(tmp, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const started = Date.now();
    const r = readImageFile(fifo, {}, MEMORIES, 'board');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.ok || r.error).toMatch(/pipe is a FIFO \(named pipe\), not a regular file/);
    const d = readImageFile(tmp, {}, MEMORIES, 'board');
    expect(d.ok || d.error).toMatch(/is a directory, not a regular file/);
    expect(readImageFile(join(tmp, 'nope'), {}, MEMORIES, 'board')).toEqual({
      ok: false,
      error: `cannot read ${join(tmp, 'nope')}: no such file`,
    });
  });

  it('bounds a raw binary by the memory it goes to, and other images by the machine', () => {
    expect(imageFileLimit({ address: 0x40000 }, MEMORIES, 'board').bytes).toBe(0xc0000);
    expect(imageFileLimit({ address: 0x20010000 }, MEMORIES, 'board').says).toBe(
      "more than board's RAM at 0x20010000 holds (196608 bytes)",
    );
    expect(imageFileLimit({ address: 0x30000000 }, MEMORIES, 'board').bytes).toBe(0x100000);
    expect(imageFileLimit({}, MEMORIES, 'board').bytes).toBe(64 * 0x140000);
    expect(imageFileLimit({}, [{ name: 'huge', base: 0, size: 2 ** 31 }], 'b').bytes).toBe(
      IMAGE_FILE_CAP,
    );
    const big = join(tmp, 'sparse.bin');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 0xc0001);
    closeSync(fd);
    const r = readImageFile(big, { address: 0x40000 }, MEMORIES, 'board');
    expect(r.ok || r.error).toMatch(
      /sparse\.bin is 786433 bytes: more than board's flash at 0x00040000 holds \(786432 bytes\)/,
    );
    expect(readImageFile(big, { address: 0x3ffff }, MEMORIES, 'board').ok).toBe(true);
  });
});
