/**
 * Node adapter for semihosting: host files through node:fs, console on the process streams.
 *
 * Paths are resolved against a root directory (the image's folder by default), so the guest
 * opens files the way `qemu -semihosting` does from its working directory. Errors come back as
 * errno values the guest can read with SYS_ERRNO.
 */
import { closeSync, fstatSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  EBADF,
  EIO,
  type HostResult,
  type SemihostingFiles,
  type SemihostingHost,
} from '../semihosting/semihosting';

const ERRNO: Record<string, number> = {
  ENOENT: 2,
  EACCES: 13,
  EEXIST: 17,
  EISDIR: 21,
  EINVAL: 22,
  EBADF: 9,
};

function errnoOf(e: unknown): number {
  return ERRNO[(e as NodeJS.ErrnoException).code ?? ''] ?? EIO;
}

/** fopen() mode -> node:fs flags. */
function fsFlags(mode: string): string {
  const base = mode.replace('b', '');
  return (
    ({ r: 'r', 'r+': 'r+', w: 'w', 'w+': 'w+', a: 'a', 'a+': 'a+' } as Record<string, string>)[
      base
    ] ?? 'r'
  );
}

export class NodeFiles implements SemihostingFiles {
  private positions = new Map<number, number>();
  constructor(private readonly root: string) {}

  private path(p: string): string {
    return isAbsolute(p) ? p : resolve(this.root, p);
  }

  open(path: string, mode: string): HostResult<number> {
    try {
      const fd = openSync(this.path(path), fsFlags(mode));
      this.positions.set(fd, 0);
      return { ok: true, value: fd };
    } catch (e) {
      return { ok: false, error: errnoOf(e) };
    }
  }
  close(handle: number): HostResult<void> {
    if (!this.positions.delete(handle)) return { ok: false, error: EBADF };
    closeSync(handle);
    return { ok: true, value: undefined };
  }
  read(handle: number, length: number): HostResult<Uint8Array> {
    const pos = this.positions.get(handle);
    if (pos === undefined) return { ok: false, error: EBADF };
    try {
      const buf = new Uint8Array(length);
      const n = readSync(handle, buf, 0, length, pos);
      this.positions.set(handle, pos + n);
      return { ok: true, value: buf.subarray(0, n) };
    } catch (e) {
      return { ok: false, error: errnoOf(e) };
    }
  }
  write(handle: number, data: Uint8Array): HostResult<number> {
    const pos = this.positions.get(handle);
    if (pos === undefined) return { ok: false, error: EBADF };
    try {
      const n = writeSync(handle, data, 0, data.length, pos);
      this.positions.set(handle, pos + n);
      return { ok: true, value: n };
    } catch (e) {
      return { ok: false, error: errnoOf(e) };
    }
  }
  seek(handle: number, position: number): HostResult<void> {
    if (!this.positions.has(handle)) return { ok: false, error: EBADF };
    this.positions.set(handle, position);
    return { ok: true, value: undefined };
  }
  length(handle: number): HostResult<number> {
    try {
      return { ok: true, value: fstatSync(handle).size };
    } catch (e) {
      return { ok: false, error: errnoOf(e) };
    }
  }
  remove(path: string): HostResult<void> {
    try {
      unlinkSync(this.path(path));
      return { ok: true, value: undefined };
    } catch (e) {
      return { ok: false, error: errnoOf(e) };
    }
  }
}

/** Console on stdout/stderr, input read synchronously from stdin (blocks, as a terminal would). */
export function nodeSemihostingHost(
  root: string,
  write: (stream: 1 | 2, bytes: Uint8Array) => void,
): SemihostingHost {
  const one = new Uint8Array(1);
  return {
    writeConsole: write,
    readConsole: () => {
      try {
        return readSync(0, one, 0, 1, null) === 1 ? one[0]! : -1;
      } catch {
        return -1;
      }
    },
    files: new NodeFiles(root),
    timeSeconds: () => Date.now() / 1000,
  };
}
