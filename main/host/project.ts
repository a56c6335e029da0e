/**
 * The project service: the file tree, reading and saving files, and noticing when an open file
 * changes or disappears on disk behind the editor.
 *
 * Reads refuse files over `MAX_EDITABLE_BYTES` and files that look binary (NUL bytes); text that
 * is not valid UTF-8 opens read-only with a notice, because saving it back through a UTF-8
 * editor would corrupt it. Saves carry the mtime the editor last saw, so a save over a file
 * changed by someone else is refused with a `conflict` error instead of silently clobbering.
 * The mtime alone is not trusted: the host remembers the size and a SHA-256 of the version it
 * served, so an outside rewrite that kept the mtime (`cp -p`, `rsync -t`, `touch -d`) is a
 * conflict too, and the poll notices it (a changed ctime with an unchanged mtime and size is
 * confirmed by hashing). A save replaces the file atomically through an exclusive temporary
 * file (main/host/atomic.ts), keeps its mode, and writes through an in-project symbolic link
 * to the link's target instead of replacing the link.
 * Open files are polled once a second (cheap: a handful of `stat`s) rather than watched
 * recursively, which behaves the same on every platform and never floods on `target/` writes.
 */
import { createHash } from 'node:crypto';
import { constants, existsSync, readdirSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type {
  FileContent,
  FileNode,
  HostError,
  HostEvents,
  ProjectInfo,
  Result,
  SavedFile,
} from '../common/contract.js';
import { isInside, writeFileAtomic } from './atomic.js';
import { resolveInProject } from './paths.js';

export const MAX_EDITABLE_BYTES = 4 * 1024 * 1024;
const SKIPPED_DIRS = new Set(['target', '.git', 'node_modules', 'dist', '.cache']);
const MAX_TREE_ENTRIES = 20_000;

export const err = (
  code: HostError['code'],
  message: string,
  fix?: string,
): { ok: false; error: HostError } => ({
  ok: false,
  error: fix ? { code, message, fix } : { code, message },
});

function ioError(e: unknown, what: string): { ok: false; error: HostError } {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return err('not-found', `${what}: no such file`);
  if (code === 'EISDIR') return err('bad-request', `${what}: is a folder, not a file`);
  if (code === 'EACCES' || code === 'EPERM') return err('io', `${what}: permission denied`);
  return err('io', `${what}: ${(e as Error).message}`);
}

/** What the host knows of one version of a file on disk. */
interface FileVersion {
  exists: boolean;
  mtimeMs: number;
  size: number;
  ctimeMs: number;
  /** SHA-256 of the content, when the host has read or written it. */
  hash?: string;
}

const sha256 = (bytes: Uint8Array | string): string =>
  createHash('sha256').update(bytes).digest('hex');

const versionOf = (st: Stats, hash?: string): FileVersion => ({
  exists: true,
  mtimeMs: st.mtimeMs,
  size: st.size,
  ctimeMs: st.ctimeMs,
  ...(hash ? { hash } : {}),
});

const MISSING: FileVersion = { exists: false, mtimeMs: 0, size: 0, ctimeMs: 0 };

/** Opening without blocking: a FIFO opened for reading would wait for a writer for ever. */
const READ_NONBLOCK = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Reads a regular file of at most `maxBytes`, checking what was opened (not the name, which
 * may be swapped) before reading: a FIFO, a device or a folder is never read.
 */
export async function readRegularFile(
  file: string,
  maxBytes: number,
): Promise<
  | { ok: true; stats: Stats; bytes: Buffer }
  | { ok: false; why: 'not-a-file' | 'too-large'; stats: Stats }
> {
  const fh = await open(file, READ_NONBLOCK);
  try {
    const stats = await fh.stat();
    if (!stats.isFile()) return { ok: false, why: 'not-a-file', stats };
    if (stats.size > maxBytes) return { ok: false, why: 'too-large', stats };
    return { ok: true, stats, bytes: await fh.readFile() };
  } finally {
    await fh.close();
  }
}

async function hashFile(file: string): Promise<string | null> {
  try {
    const r = await readRegularFile(file, MAX_EDITABLE_BYTES);
    return r.ok ? sha256(r.bytes) : null;
  } catch {
    return null;
  }
}

export class ProjectService {
  /** The version last served to the editor (read or saved): what its edits are based on. */
  private served = new Map<string, FileVersion>();
  /** The version last seen on disk by the poll, for the files the editor has open. */
  private watched = new Map<string, FileVersion>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly root: string,
    private readonly transport: ProjectInfo['transport'],
    private readonly emit: <K extends keyof HostEvents>(name: K, payload: HostEvents[K]) => void,
  ) {}

  info(): Result<ProjectInfo> {
    const isCargoWorkspace = existsSync(path.join(this.root, 'Cargo.toml'));
    const info: ProjectInfo = {
      name: path.basename(this.root),
      root: this.root,
      isCargoWorkspace,
      boards: this.boards(),
      transport: this.transport,
    };
    if (!isCargoWorkspace)
      info.problem = `${this.root} has no Cargo.toml, so it is not a kernel workspace and cannot be built. Open the kernel folder (the one whose Cargo.toml lists the board crates).`;
    return { ok: true, value: info };
  }

  /** Board crates are the folders under boards/ that hold a Cargo.toml. */
  boards(): string[] {
    const dir = path.join(this.root, 'boards');
    try {
      return readdirSyncSafe(dir).filter((b) => existsSync(path.join(dir, b, 'Cargo.toml')));
    } catch {
      return [];
    }
  }

  async listFiles(signal?: AbortSignal): Promise<Result<FileNode[]>> {
    let count = 0;
    const walk = async (dir: string, rel: string): Promise<FileNode[]> => {
      // A cancelled listing (a newer refresh superseded it) stops walking.
      if (signal?.aborted) return [];
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return [];
      }
      entries.sort((a, b) =>
        a.isDirectory() === b.isDirectory()
          ? a.name.localeCompare(b.name)
          : a.isDirectory()
            ? -1
            : 1,
      );
      const nodes: FileNode[] = [];
      for (const e of entries) {
        if (++count > MAX_TREE_ENTRIES) break;
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (SKIPPED_DIRS.has(e.name)) continue;
          nodes.push({
            path: p,
            name: e.name,
            kind: 'dir',
            children: await walk(path.join(dir, e.name), p),
          });
        } else if (e.isFile()) {
          nodes.push({ path: p, name: e.name, kind: 'file' });
        }
      }
      return nodes;
    };
    return { ok: true, value: await walk(this.root, '') };
  }

  async readFile(requested: string): Promise<Result<FileContent>> {
    const r = await resolveInProject(this.root, requested);
    if (!r.ok) return r;
    const { absolute, relative } = r.value;
    let st: Stats;
    let bytes: Buffer;
    try {
      // One handle for the checks and the read, so both describe the same file.
      const r = await readRegularFile(absolute, MAX_EDITABLE_BYTES);
      if (!r.ok && r.why === 'not-a-file')
        return err('bad-request', `${relative} is not a regular file`);
      if (!r.ok)
        return err(
          'too-large',
          `${relative} is ${(r.stats.size / 1024 / 1024).toFixed(1)} MiB; files over ${MAX_EDITABLE_BYTES / 1024 / 1024} MiB are not opened in the editor`,
          'Open it in a tool made for large files.',
        );
      st = r.stats;
      bytes = r.bytes;
    } catch (e) {
      return ioError(e, relative);
    }
    const version = { ...versionOf(st, sha256(bytes)), size: bytes.length };
    this.served.set(relative, version);
    this.watched.set(relative, version);
    const nul = bytes.indexOf(0);
    if (nul >= 0)
      return err(
        'binary',
        `${relative} looks like a binary file (NUL byte at offset ${nul}); it is not opened as text`,
      );
    const base = { path: relative, mtimeMs: st.mtimeMs, size: bytes.length };
    try {
      const content = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      return { ok: true, value: { ...base, content, readOnly: false } };
    } catch {
      const content = new TextDecoder('utf-8').decode(bytes);
      return {
        ok: true,
        value: {
          ...base,
          content,
          readOnly: true,
          notice: `${relative} is not valid UTF-8; it is shown read-only (undecodable bytes appear as \uFFFD) so saving cannot corrupt it.`,
        },
      };
    }
  }

  async writeFile(
    requested: string,
    content: string,
    expectedMtimeMs?: number,
  ): Promise<Result<SavedFile>> {
    const r = await resolveInProject(this.root, requested);
    if (!r.ok) return r;
    const { absolute, relative } = r.value;
    const target = await this.saveTarget(absolute, relative);
    if (!target.ok) return target;
    const { dir, name, existing } = target.value;
    if (expectedMtimeMs !== undefined) {
      const conflict = await this.conflict(
        relative,
        expectedMtimeMs,
        existing,
        path.join(dir, name),
      );
      if (conflict) return conflict;
    }
    const bytes = Buffer.from(content, 'utf8');
    const written = await writeFileAtomic(dir, name, bytes, {
      confine: target.value.realRoot,
      durable: true,
      // Keep the file's permission bits (an executable script stays executable).
      ...(existing ? { mode: existing.mode & 0o7777 } : {}),
    });
    if (!written.ok) return written;
    try {
      const st = await stat(absolute);
      const version = versionOf(st, sha256(bytes));
      this.served.set(relative, version);
      this.watched.set(relative, version);
      return { ok: true, value: { path: relative, mtimeMs: st.mtimeMs, size: st.size } };
    } catch (e) {
      return ioError(e, relative);
    }
  }

  /**
   * The real folder and name a save of `absolute` replaces: the file itself, or the target of
   * an in-project symbolic link (so the link stays a link), with the current file's status.
   */
  private async saveTarget(
    absolute: string,
    relative: string,
  ): Promise<Result<{ dir: string; name: string; existing: Stats | null; realRoot: string }>> {
    try {
      const realRoot = await realpath(this.root);
      let real: string;
      let existing: Stats | null = null;
      try {
        real = await realpath(absolute);
        existing = await stat(real);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        const link = await lstat(absolute).catch(() => null);
        if (link?.isSymbolicLink())
          return err(
            'bad-request',
            `${relative} is a symbolic link to a file that does not exist; it is not replaced by a file`,
            'Recreate the file it points to, or remove the link.',
          );
        // A new file: create its folders, then resolve them (they may be links inside).
        await mkdir(path.dirname(absolute), { recursive: true });
        real = path.join(await realpath(path.dirname(absolute)), path.basename(absolute));
      }
      if (!isInside(realRoot, real))
        return err(
          'outside-project',
          `refused path "${relative}": it resolves outside the project folder`,
        );
      if (existing && !existing.isFile())
        return err('bad-request', `${relative} is not a regular file`);
      return {
        ok: true,
        value: { dir: path.dirname(real), name: path.basename(real), existing, realRoot },
      };
    } catch (e) {
      return ioError(e, relative);
    }
  }

  /** Why saving over the file now would lose someone else's change, or null. */
  private async conflict(
    relative: string,
    expectedMtimeMs: number,
    existing: Stats | null,
    real: string,
  ): Promise<{ ok: false; error: HostError } | null> {
    const current = existing?.mtimeMs ?? 0;
    if (expectedMtimeMs === 0 && existing)
      return err(
        'conflict',
        `${relative} already exists on disk`,
        'Reload it or save under another name.',
      );
    if (expectedMtimeMs !== 0 && !existing)
      return err(
        'conflict',
        `${relative} was deleted on disk after it was opened`,
        'Save again to recreate it with your edits.',
      );
    const changed = err(
      'conflict',
      `${relative} was changed on disk after it was opened`,
      'Reload it to see the other change (your edits stay in the recovery store), or save again to overwrite.',
    );
    if (expectedMtimeMs !== 0 && Math.abs(current - expectedMtimeMs) > 1) return changed;
    // Same mtime: compare with the version the editor was given, when the host served it.
    const served = this.served.get(relative);
    if (existing && served?.exists && Math.abs(served.mtimeMs - expectedMtimeMs) <= 1) {
      if (existing.size !== served.size) return changed;
      if (
        existing.ctimeMs !== served.ctimeMs &&
        served.hash &&
        (await hashFile(real)) !== served.hash
      )
        return changed;
    }
    return null;
  }

  async watch(paths: string[]): Promise<Result<null>> {
    const next = new Map<string, FileVersion>();
    for (const p of paths) {
      const r = await resolveInProject(this.root, p);
      if (!r.ok) return r;
      const known = this.watched.get(r.value.relative);
      if (known) next.set(r.value.relative, known);
      else next.set(r.value.relative, await this.observe(r.value.absolute, null));
    }
    this.watched = next;
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), 1000);
      this.timer.unref();
    }
    return { ok: true, value: null };
  }

  /**
   * The file's version now. The hash is carried over from `known` when the status says the
   * content cannot have changed, and computed otherwise (for files the editor can open).
   */
  private async observe(absolute: string, known: FileVersion | null): Promise<FileVersion> {
    let st: Stats;
    try {
      st = await stat(absolute);
    } catch {
      return MISSING;
    }
    if (
      known?.exists &&
      known.hash &&
      known.mtimeMs === st.mtimeMs &&
      known.size === st.size &&
      known.ctimeMs === st.ctimeMs
    )
      return known;
    const hash = st.isFile() && st.size <= MAX_EDITABLE_BYTES ? await hashFile(absolute) : null;
    return versionOf(st, hash ?? undefined);
  }

  /** One polling pass; public so tests can drive it without waiting. */
  async poll(): Promise<void> {
    for (const [rel, known] of this.watched) {
      const now = await this.observe(path.join(this.root, rel), known);
      if (now === known) continue;
      this.watched.set(rel, now);
      const same =
        now.exists === known.exists &&
        Math.abs(now.mtimeMs - known.mtimeMs) <= 1 &&
        now.size === known.size &&
        // Only a changed ctime with the same mtime and size reaches here: hashes decide.
        (now.hash === undefined || known.hash === undefined || now.hash === known.hash);
      if (same) continue;
      this.emit('project.fileChanged', {
        path: rel,
        kind: now.exists ? 'changed' : 'deleted',
        mtimeMs: now.mtimeMs,
      });
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

function readdirSyncSafe(dir: string): string[] {
  return readdirSync(dir).sort();
}
