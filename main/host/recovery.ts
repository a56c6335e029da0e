/**
 * The recovery store: unsaved editor buffers kept by the host so they survive a window reload,
 * a renderer crash, a host crash or a browser tab closed by mistake.
 *
 * The renderer sends a buffer here shortly after every edit and discards it on save. Each
 * buffer is one file (`<path hash>.<writer>.entry.json`) in a folder per project under the
 * user's cache folder, written atomically (main/host/atomic.ts), so a put rewrites that buffer
 * only and a crash mid-write leaves the previous version. Every host process is a "writer"
 * with its own id: two hosts on the same project (two windows, Electron and browser mode)
 * never overwrite each other's entries, and each lists only its own entries plus those of
 * writers that are gone (a crash), newest per file first. A put or discard of a file
 * supersedes the gone writers' entries for it.
 *
 * The store has a quota (`RECOVERY_QUOTA_BYTES` of entry files per project, which also keeps
 * the `list` reply far below V8's longest string) and prunes what nobody needs: entries whose
 * text is already what the file holds on disk (saved), entries of files deleted on disk that
 * nobody touched for `GONE_RETENTION_MS`, leftovers of interrupted writes, and the stores of
 * project folders that no longer exist. Over the quota a put is refused with a clear error and
 * nothing already kept is evicted. The store never throws to its caller: a failure to persist
 * is a value, so the editor can warn that edits are only in memory.
 *
 * @example
 *   const store = new RecoveryStore('/home/me/kernel');
 *   await store.put('capsules/src/led.rs', text, mtimeMs);
 *   const r = await store.list(); // after a reload: the buffers to reopen
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rm, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { HostError, RecoveredBuffer, Result } from '../common/contract.js';
import { writeFileAtomic } from './atomic.js';
import { resolveLexically } from './paths.js';
import { err, readRegularFile } from './project.js';

/** Bytes of entry files one project may keep. */
export const RECOVERY_QUOTA_BYTES = 64 * 1024 * 1024;
/** Entries one project may keep (bounds the folder scans). */
export const RECOVERY_MAX_ENTRIES = 1000;
/** How long the edits of a file deleted on disk are kept after their last change. */
export const GONE_RETENTION_MS = 30 * 24 * 3600 * 1000;
/** Age after which a temporary file is a leftover of an interrupted write. */
const STALE_TEMP_MS = 3600 * 1000;
const MiB = 1024 * 1024;

export function defaultRecoveryDir(): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'capsule-studio', 'recovery');
}

export interface RecoveryOptions {
  quotaBytes?: number;
  /** This host's id among the writers of the store (letters, digits and "-"). */
  writerId?: string;
  /** Whether another writer still runs; by default, its process on this machine is alive. */
  isWriterAlive?: (writerId: string) => boolean;
  now?: () => number;
}

interface Entry extends RecoveredBuffer {
  writer: string;
}

interface EntryFile {
  name: string;
  size: number;
  writer: string;
  pathKey: string;
}

const projectKey = (root: string): string =>
  createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 16);
const pathKey = (relative: string): string =>
  createHash('sha256').update(relative).digest('hex').slice(0, 32);
const ENTRY = /^([0-9a-f]{32})\.([A-Za-z0-9-]{1,64})\.entry\.json$/;
const WRITER = /^([A-Za-z0-9-]{1,64})\.writer\.json$/;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class RecoveryStore {
  private readonly dir: string;
  private readonly writer: string;
  private readonly quota: number;
  private readonly now: () => number;
  private readonly ready: Promise<Result<null>>;
  /** Per-path chains, so an older snapshot of a buffer never lands after a newer one. */
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly liveness = new Map<string, boolean>();

  constructor(
    private readonly root: string,
    private readonly base = defaultRecoveryDir(),
    private readonly opts: RecoveryOptions = {},
  ) {
    this.dir = path.join(base, projectKey(root));
    this.writer = opts.writerId ?? `${process.pid}-${randomBytes(4).toString('hex')}`;
    this.quota = opts.quotaBytes ?? RECOVERY_QUOTA_BYTES;
    this.now = opts.now ?? Date.now;
    this.ready = this.init();
  }

  private failed(e: unknown): { ok: false; error: HostError } {
    return err(
      'io',
      `could not keep unsaved edits on disk (${(e as Error).message}); they are only in the window's memory`,
    );
  }

  private async init(): Promise<Result<null>> {
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFile(
        path.join(this.dir, 'project.json'),
        JSON.stringify({ root: path.resolve(this.root) }),
      );
      await writeFile(
        path.join(this.dir, `${this.writer}.writer.json`),
        JSON.stringify({ pid: process.pid, hostname: os.hostname(), startedAt: this.now() }),
      );
      await this.migrate();
      await this.pruneProjects();
      return { ok: true, value: null };
    } catch (e) {
      return this.failed(e);
    }
  }

  /** Brings over the buffers of the earlier one-JSON-file-per-project store, then removes it. */
  private async migrate(): Promise<void> {
    const old = path.join(this.base, `${projectKey(this.root)}.json`);
    let saved: { buffers?: Partial<RecoveredBuffer>[] };
    try {
      saved = JSON.parse(await readFile(old, 'utf8')) as typeof saved;
    } catch {
      return;
    }
    for (const b of saved.buffers ?? []) {
      if (typeof b.path !== 'string' || typeof b.content !== 'string') continue;
      const entry: Entry = {
        path: b.path,
        content: b.content,
        baseMtimeMs: typeof b.baseMtimeMs === 'number' ? b.baseMtimeMs : 0,
        savedAt: typeof b.savedAt === 'number' ? b.savedAt : this.now(),
        writer: 'migrated',
      };
      const r = await this.writeEntry(entry);
      if (!r.ok) return; // keep the old file: nothing is lost
    }
    await unlink(old).catch(() => undefined);
  }

  /** Removes the stores of project folders that are gone and were not touched for long. */
  private async pruneProjects(): Promise<void> {
    for (const name of await readdir(this.base).catch(() => [] as string[])) {
      const dir = path.join(this.base, name);
      if (dir === this.dir || !/^[0-9a-f]{16}$/.test(name)) continue;
      try {
        const meta = path.join(dir, 'project.json');
        const { root } = JSON.parse(await readFile(meta, 'utf8')) as { root?: string };
        const st = await stat(meta);
        if (
          typeof root === 'string' &&
          !existsSync(root) &&
          this.now() - st.mtimeMs > GONE_RETENTION_MS
        )
          await rm(dir, { recursive: true, force: true });
      } catch {
        // Not a store, or unreadable: leave it.
      }
    }
  }

  private alive(writer: string): boolean {
    if (writer === this.writer) return true;
    if (this.opts.isWriterAlive) return this.opts.isWriterAlive(writer);
    const cached = this.liveness.get(writer);
    if (cached !== undefined) return cached;
    let alive: boolean;
    try {
      // Synchronous on purpose: tiny, and read once per writer per host lifetime when dead.
      const info = JSON.parse(
        readFileSync(path.join(this.dir, `${writer}.writer.json`), 'utf8'),
      ) as { pid?: number; hostname?: string };
      alive = info.hostname === os.hostname() && typeof info.pid === 'number' && pidAlive(info.pid);
    } catch {
      alive = false; // no writer file: a migrated or long-gone writer
    }
    // A dead writer stays dead; a live one is asked again next time.
    if (!alive) this.liveness.set(writer, false);
    return alive;
  }

  private async entryFiles(): Promise<EntryFile[]> {
    const out: EntryFile[] = [];
    for (const name of await readdir(this.dir)) {
      const m = ENTRY.exec(name);
      if (!m) continue;
      try {
        out.push({
          name,
          size: (await stat(path.join(this.dir, name))).size,
          pathKey: m[1]!,
          writer: m[2]!,
        });
      } catch {
        // Removed meanwhile by another host.
      }
    }
    return out;
  }

  private async readEntry(file: EntryFile): Promise<Entry | null> {
    try {
      const e = JSON.parse(
        await readFile(path.join(this.dir, file.name), 'utf8'),
      ) as Partial<Entry>;
      if (
        typeof e.path !== 'string' ||
        typeof e.content !== 'string' ||
        typeof e.baseMtimeMs !== 'number' ||
        typeof e.savedAt !== 'number' ||
        pathKey(e.path) !== file.pathKey
      )
        return null;
      return {
        path: e.path,
        content: e.content,
        baseMtimeMs: e.baseMtimeMs,
        savedAt: e.savedAt,
        writer: file.writer,
      };
    } catch {
      return null; // not ours, or unreadable: never break the list over it
    }
  }

  private async writeEntry(entry: Entry): Promise<Result<null>> {
    const name = `${pathKey(entry.path)}.${entry.writer}.entry.json`;
    return writeFileAtomic(this.dir, name, JSON.stringify({ version: 1, ...entry }), {
      confine: await realpath(this.dir),
    });
  }

  /** Runs `task` after every earlier task for the same path. */
  private serial<T>(relative: string, task: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(relative) ?? Promise.resolve();
    const next = previous.then(task, task);
    this.chains.set(relative, next);
    void next.finally(() => {
      if (this.chains.get(relative) === next) this.chains.delete(relative);
    });
    return next;
  }

  async list(): Promise<Result<RecoveredBuffer[]>> {
    const ready = await this.ready;
    if (!ready.ok) return ready;
    try {
      const newest = new Map<string, RecoveredBuffer>();
      for (const file of await this.entryFiles()) {
        if (file.writer === this.writer || !this.alive(file.writer)) {
          const entry = await this.readEntry(file);
          if (!entry || (await this.prunable(entry, file))) continue;
          const known = newest.get(entry.path);
          if (!known || entry.savedAt > known.savedAt)
            newest.set(entry.path, {
              path: entry.path,
              content: entry.content,
              baseMtimeMs: entry.baseMtimeMs,
              savedAt: entry.savedAt,
            });
        }
      }
      await this.pruneWriters();
      return { ok: true, value: [...newest.values()] };
    } catch (e) {
      return this.failed(e);
    }
  }

  /**
   * Removes the entry (this host's or a gone writer's) when nobody needs it any more: its text
   * is what the file holds (it was saved), or the file was deleted and the entry is old.
   */
  private async prunable(entry: Entry, file: EntryFile): Promise<boolean> {
    const resolved = resolveLexically(this.root, entry.path);
    let prune = !resolved.ok;
    if (resolved.ok) {
      try {
        const size = Buffer.byteLength(entry.content, 'utf8');
        const disk = await readRegularFile(resolved.value.absolute, size);
        prune =
          disk.ok && disk.bytes.length === size && disk.bytes.toString('utf8') === entry.content;
      } catch (e) {
        prune =
          (e as NodeJS.ErrnoException).code === 'ENOENT' &&
          entry.baseMtimeMs !== 0 &&
          this.now() - entry.savedAt > GONE_RETENTION_MS;
      }
    }
    if (prune) await unlink(path.join(this.dir, file.name)).catch(() => undefined);
    return prune;
  }

  /** Removes writer files of gone writers without entries, and stale temporary files. */
  private async pruneWriters(): Promise<void> {
    const names = await readdir(this.dir);
    const withEntries = new Set(names.flatMap((n) => ENTRY.exec(n)?.[2] ?? []));
    for (const name of names) {
      const w = WRITER.exec(name)?.[1];
      if (w && !withEntries.has(w) && !this.alive(w))
        await unlink(path.join(this.dir, name)).catch(() => undefined);
      else if (name.startsWith('.') && name.includes('.capsule-save-')) {
        const st = await stat(path.join(this.dir, name)).catch(() => null);
        if (st && this.now() - st.mtimeMs > STALE_TEMP_MS)
          await unlink(path.join(this.dir, name)).catch(() => undefined);
      }
    }
  }

  async put(p: string, content: string, baseMtimeMs: number): Promise<Result<null>> {
    const r = resolveLexically(this.root, p);
    if (!r.ok) return r;
    const relative = r.value.relative;
    return this.serial(relative, async () => {
      const ready = await this.ready;
      if (!ready.ok) return ready;
      try {
        const entry: Entry = {
          path: relative,
          content,
          baseMtimeMs,
          savedAt: this.now(),
          writer: this.writer,
        };
        const size = Buffer.byteLength(JSON.stringify({ version: 1, ...entry }), 'utf8');
        const room = await this.room(relative, size);
        if (!room.ok) return room;
        const written = await this.writeEntry(entry);
        if (!written.ok) return written;
        await this.removeGone(relative);
        return { ok: true, value: null };
      } catch (e) {
        return this.failed(e);
      }
    });
  }

  /** Whether `size` more bytes for `relative` fit the quota (after pruning, if need be). */
  private async room(relative: string, size: number): Promise<Result<null>> {
    const own = `${pathKey(relative)}.${this.writer}.entry.json`;
    const usage = async () => {
      const files = (await this.entryFiles()).filter((f) => f.name !== own);
      return { bytes: files.reduce((sum, f) => sum + f.size, 0), count: files.length };
    };
    let used = await usage();
    if (used.bytes + size <= this.quota && used.count < RECOVERY_MAX_ENTRIES)
      return { ok: true, value: null };
    await this.list(); // prunes what nobody needs
    used = await usage();
    if (used.bytes + size <= this.quota && used.count < RECOVERY_MAX_ENTRIES)
      return { ok: true, value: null };
    const fix =
      'Save or close some files with unsaved edits; until then these edits are only in the window.';
    if (size > this.quota)
      return err(
        'too-large',
        `unsaved edits of ${relative} (${(size / MiB).toFixed(1)} MiB) are larger than the recovery store's quota of ${(this.quota / MiB).toFixed(0)} MiB; they are only in the window's memory`,
        fix,
      );
    return err(
      'too-large',
      `the recovery store for this project is full (${used.count} buffers, ${(used.bytes / MiB).toFixed(1)} of ${(this.quota / MiB).toFixed(0)} MiB); unsaved edits of ${relative} are only in the window's memory`,
      fix,
    );
  }

  async discard(p: string): Promise<Result<null>> {
    const r = resolveLexically(this.root, p);
    if (!r.ok) return r;
    const relative = r.value.relative;
    return this.serial(relative, async () => {
      const ready = await this.ready;
      if (!ready.ok) return ready;
      try {
        await unlink(path.join(this.dir, `${pathKey(relative)}.${this.writer}.entry.json`)).catch(
          (e: NodeJS.ErrnoException) => {
            if (e.code !== 'ENOENT') throw e;
          },
        );
        await this.removeGone(relative);
        return { ok: true, value: null };
      } catch (e) {
        return this.failed(e);
      }
    });
  }

  /** Removes gone writers' entries for `relative`: this host's put or discard supersedes them. */
  private async removeGone(relative: string): Promise<void> {
    const key = pathKey(relative);
    for (const name of await readdir(this.dir)) {
      const m = ENTRY.exec(name);
      if (m && m[1] === key && m[2] !== this.writer && !this.alive(m[2]!))
        await unlink(path.join(this.dir, name)).catch(() => undefined);
    }
  }
}
