/**
 * In-memory files for semihosting: a pure-TypeScript `SemihostingFiles` over a name->bytes map.
 *
 * Used where no host file system exists (a browser worker, tests) and as a sandbox: the guest
 * sees only the files the caller provides, and what it writes can be read back afterwards.
 *
 * @example
 *   const files = new MemoryFiles({ 'input.bin': bytes });
 *   new Semihosting({ ...host, files });
 */
import { EBADF, EINVAL, ENOENT, type HostResult, type SemihostingFiles } from './semihosting';

interface Handle {
  name: string;
  position: number;
  append: boolean;
  readable: boolean;
  writable: boolean;
}

export class MemoryFiles implements SemihostingFiles {
  private files = new Map<string, Uint8Array>();
  private handles = new Map<number, Handle>();
  private next = 1;

  constructor(initial: Record<string, Uint8Array> = {}) {
    for (const [k, v] of Object.entries(initial)) this.files.set(k, v.slice());
  }

  contents(name: string): Uint8Array {
    return this.files.get(name) ?? new Uint8Array(0);
  }

  open(path: string, mode: string): HostResult<number> {
    const base = mode.replace('b', '');
    if (!this.files.has(path)) {
      if (base.startsWith('r')) return { ok: false, error: ENOENT };
      this.files.set(path, new Uint8Array(0));
    } else if (base.startsWith('w')) {
      this.files.set(path, new Uint8Array(0));
    }
    const h = this.next++;
    this.handles.set(h, {
      name: path,
      position: 0,
      append: base.startsWith('a'),
      readable: base.startsWith('r') || base.includes('+'),
      writable: !base.startsWith('r') || base.includes('+'),
    });
    return { ok: true, value: h };
  }

  close(handle: number): HostResult<void> {
    return this.handles.delete(handle)
      ? { ok: true, value: undefined }
      : { ok: false, error: EBADF };
  }

  read(handle: number, length: number): HostResult<Uint8Array> {
    const h = this.handles.get(handle);
    if (!h || !h.readable) return { ok: false, error: EBADF };
    const data = this.contents(h.name).slice(h.position, h.position + length);
    h.position += data.length;
    return { ok: true, value: data };
  }

  write(handle: number, data: Uint8Array): HostResult<number> {
    const h = this.handles.get(handle);
    if (!h || !h.writable) return { ok: false, error: EBADF };
    const old = this.contents(h.name);
    const at = h.append ? old.length : h.position;
    const grown = new Uint8Array(Math.max(old.length, at + data.length));
    grown.set(old);
    grown.set(data, at);
    this.files.set(h.name, grown);
    h.position = at + data.length;
    return { ok: true, value: data.length };
  }

  seek(handle: number, position: number): HostResult<void> {
    const h = this.handles.get(handle);
    if (!h) return { ok: false, error: EBADF };
    if (position > this.contents(h.name).length) return { ok: false, error: EINVAL };
    h.position = position;
    return { ok: true, value: undefined };
  }

  length(handle: number): HostResult<number> {
    const h = this.handles.get(handle);
    if (!h) return { ok: false, error: EBADF };
    return { ok: true, value: this.contents(h.name).length };
  }

  remove(path: string): HostResult<void> {
    return this.files.delete(path) ? { ok: true, value: undefined } : { ok: false, error: ENOENT };
  }
}
