/**
 * The project service: the file tree, reading and saving files, and noticing when an open file
 * changes or disappears on disk behind the editor.
 *
 * Reads refuse files over `MAX_EDITABLE_BYTES` and files that look binary (NUL bytes); text that
 * is not valid UTF-8 opens read-only with a notice, because saving it back through a UTF-8
 * editor would corrupt it. Saves carry the mtime the editor last saw, so a save over a file
 * changed by someone else is refused with a `conflict` error instead of silently clobbering.
 * Open files are polled once a second (cheap: a handful of `stat`s) rather than watched
 * recursively, which behaves the same on every platform and never floods on `target/` writes.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readdir, readFile, stat, writeFile, mkdir, rename } from 'node:fs/promises';
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

export class ProjectService {
  private watched = new Map<string, { mtimeMs: number; exists: boolean }>();
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

  async listFiles(): Promise<Result<FileNode[]>> {
    let count = 0;
    const walk = async (dir: string, rel: string): Promise<FileNode[]> => {
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
    let st;
    try {
      st = await stat(absolute);
    } catch (e) {
      return ioError(e, relative);
    }
    if (!st.isFile()) return err('bad-request', `${relative} is not a regular file`);
    if (st.size > MAX_EDITABLE_BYTES)
      return err(
        'too-large',
        `${relative} is ${(st.size / 1024 / 1024).toFixed(1)} MiB; files over ${MAX_EDITABLE_BYTES / 1024 / 1024} MiB are not opened in the editor`,
        'Open it in a tool made for large files.',
      );
    let bytes: Buffer;
    try {
      bytes = await readFile(absolute);
    } catch (e) {
      return ioError(e, relative);
    }
    this.watched.set(relative, { mtimeMs: st.mtimeMs, exists: true });
    const nul = bytes.indexOf(0);
    if (nul >= 0)
      return err(
        'binary',
        `${relative} looks like a binary file (NUL byte at offset ${nul}); it is not opened as text`,
      );
    const base = { path: relative, mtimeMs: st.mtimeMs, size: st.size };
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
    if (expectedMtimeMs !== undefined) {
      let current: number;
      try {
        current = (await stat(absolute)).mtimeMs;
      } catch {
        current = 0;
      }
      if (expectedMtimeMs === 0 && current !== 0)
        return err(
          'conflict',
          `${relative} already exists on disk`,
          'Reload it or save under another name.',
        );
      if (expectedMtimeMs !== 0 && current === 0)
        return err(
          'conflict',
          `${relative} was deleted on disk after it was opened`,
          'Save again to recreate it with your edits.',
        );
      if (expectedMtimeMs !== 0 && Math.abs(current - expectedMtimeMs) > 1)
        return err(
          'conflict',
          `${relative} was changed on disk after it was opened`,
          'Reload it to see the other change (your edits stay in the recovery store), or save again to overwrite.',
        );
    }
    try {
      await mkdir(path.dirname(absolute), { recursive: true });
      // Write to a sibling then rename so a crash never leaves a half-written source file.
      const tmp = `${absolute}.capsule-save-${process.pid}`;
      await writeFile(tmp, content, 'utf8');
      await rename(tmp, absolute);
      const st = await stat(absolute);
      this.watched.set(relative, { mtimeMs: st.mtimeMs, exists: true });
      return { ok: true, value: { path: relative, mtimeMs: st.mtimeMs, size: st.size } };
    } catch (e) {
      return ioError(e, relative);
    }
  }

  async watch(paths: string[]): Promise<Result<null>> {
    const next = new Map<string, { mtimeMs: number; exists: boolean }>();
    for (const p of paths) {
      const r = await resolveInProject(this.root, p);
      if (!r.ok) return r;
      const known = this.watched.get(r.value.relative);
      if (known) next.set(r.value.relative, known);
      else {
        try {
          next.set(r.value.relative, {
            mtimeMs: (await stat(r.value.absolute)).mtimeMs,
            exists: true,
          });
        } catch {
          next.set(r.value.relative, { mtimeMs: 0, exists: false });
        }
      }
    }
    this.watched = next;
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), 1000);
      this.timer.unref();
    }
    return { ok: true, value: null };
  }

  /** One polling pass; public so tests can drive it without waiting. */
  async poll(): Promise<void> {
    for (const [rel, known] of this.watched) {
      let mtimeMs = 0;
      let exists = true;
      try {
        mtimeMs = (await stat(path.join(this.root, rel))).mtimeMs;
      } catch {
        exists = false;
      }
      if (exists === known.exists && Math.abs(mtimeMs - known.mtimeMs) <= 1) continue;
      this.watched.set(rel, { mtimeMs, exists });
      this.emit('project.fileChanged', {
        path: rel,
        kind: exists ? 'changed' : 'deleted',
        mtimeMs,
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
