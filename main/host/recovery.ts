/**
 * The recovery store: unsaved editor buffers kept by the host so they survive a window reload,
 * a renderer crash or a browser tab closed by mistake.
 *
 * The renderer sends a buffer here shortly after every edit and discards it on save. Buffers
 * live in one JSON file per project under the user's cache folder (keyed by a hash of the
 * project path), written atomically. The store never throws to its caller: a failure to
 * persist is reported as a value so the editor can warn that edits are only in memory.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RecoveredBuffer, Result } from '../common/contract.js';
import { resolveLexically } from './paths.js';
import { err } from './project.js';

export function defaultRecoveryDir(): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'capsule-studio', 'recovery');
}

export class RecoveryStore {
  private buffers = new Map<string, RecoveredBuffer>();
  private readonly file: string;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly root: string,
    dir = defaultRecoveryDir(),
  ) {
    const key = createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 16);
    this.file = path.join(dir, `${key}.json`);
    try {
      const saved = JSON.parse(readFileSync(this.file, 'utf8')) as { buffers?: RecoveredBuffer[] };
      for (const b of saved.buffers ?? [])
        if (typeof b.path === 'string') this.buffers.set(b.path, b);
    } catch {
      // No store yet, or an unreadable one: start empty rather than block the editor.
    }
  }

  list(): Result<RecoveredBuffer[]> {
    return { ok: true, value: [...this.buffers.values()] };
  }

  async put(p: string, content: string, baseMtimeMs: number): Promise<Result<null>> {
    const r = resolveLexically(this.root, p);
    if (!r.ok) return r;
    this.buffers.set(r.value.relative, {
      path: r.value.relative,
      content,
      baseMtimeMs,
      savedAt: Date.now(),
    });
    return this.persist();
  }

  async discard(p: string): Promise<Result<null>> {
    const r = resolveLexically(this.root, p);
    if (!r.ok) return r;
    if (!this.buffers.delete(r.value.relative)) return { ok: true, value: null };
    return this.persist();
  }

  private persist(): Promise<Result<null>> {
    const snapshot = JSON.stringify({ root: this.root, buffers: [...this.buffers.values()] });
    const run = async (): Promise<Result<null>> => {
      try {
        mkdirSync(path.dirname(this.file), { recursive: true });
        const tmp = `${this.file}.${process.pid}.tmp`;
        await writeFile(tmp, snapshot, 'utf8');
        await rename(tmp, this.file);
        return { ok: true, value: null };
      } catch (e) {
        return err(
          'io',
          `could not keep unsaved edits on disk (${(e as Error).message}); they are only in the window's memory`,
        );
      }
    };
    // Serialise writes so an older snapshot never lands after a newer one.
    const next = this.writing.then(run, run);
    this.writing = next;
    return next;
  }
}
