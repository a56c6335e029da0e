/**
 * Explorer operations (new file, new folder, rename or move, delete) and the watcher that tells
 * the explorer when the project folder changes on disk.
 *
 * Every path comes from the renderer and is confined to the project by `resolveInProject`
 * (after links), exactly as reads and saves are; the project folder itself can be neither
 * renamed nor deleted. Delete moves to the system trash (the freedesktop.org Trash
 * specification on Linux, the Recycle Bin and the macOS Trash elsewhere, through the `trash`
 * package); when there is no trash to move to, the call fails with `unavailable` and the UI
 * asks before deleting permanently. Nothing is overwritten: creating or moving onto an
 * existing name fails with `exists`.
 *
 * The watcher (chokidar, without the build and VCS folders) reports folders whose entries
 * changed as `project.treeChanged`, a tenth of a second after the last change of a burst, so a
 * `git checkout` costs one tree refresh rather than thousands.
 *
 * @example
 *   const files = new FileService('/home/me/kernel', emit, { watch: true });
 *   await files.rename('capsules/src/led.rs', 'capsules/src/leds.rs');
 */
import { watch, type FSWatcher } from 'chokidar';
import { open, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileBytes, FileNode, HostEvents, Result } from '../common/contract.js';
import { resolveInProject } from './paths.js';
import { err } from './project.js';

/** Folders the explorer does not show and the watcher does not enter (as the tree listing). */
export const UNWATCHED_DIRS = new Set(['target', '.git', 'node_modules', 'dist', '.cache']);
const SETTLE_MS = 100;

type Emit = <K extends keyof HostEvents>(name: K, payload: HostEvents[K]) => void;

async function exists(absolute: string): Promise<boolean> {
  try {
    await stat(absolute);
    return true;
  } catch {
    return false;
  }
}

function failure(
  e: unknown,
  what: string,
): { ok: false; error: import('../common/contract.js').HostError } {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return err('not-found', `${what}: no such file or folder`);
  if (code === 'EACCES' || code === 'EPERM') return err('io', `${what}: permission denied`);
  if (code === 'ENOTEMPTY') return err('io', `${what}: the folder is not empty`);
  return err('io', `${what}: ${(e as Error).message}`);
}

export class FileService {
  private watcher: FSWatcher | undefined;
  private changed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly root: string,
    private readonly emit: Emit,
    opts: { watch: boolean },
  ) {
    if (opts.watch) this.startWatching();
  }

  private startWatching(): void {
    this.watcher = watch(this.root, {
      ignoreInitial: true,
      ignored: (p: string) =>
        path
          .relative(this.root, p)
          .split(path.sep)
          .some((part) => UNWATCHED_DIRS.has(part)),
    });
    const note = (p: string): void => {
      const rel = path.relative(this.root, path.dirname(p)).split(path.sep).join('/');
      this.changed.add(rel);
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        const folders = [...this.changed];
        this.changed.clear();
        this.emit('project.treeChanged', { folders });
      }, SETTLE_MS);
    };
    for (const event of ['add', 'addDir', 'unlink', 'unlinkDir'] as const)
      this.watcher.on(event, note);
    // A watcher that cannot watch (too many files for inotify) must not take the host down;
    // the explorer still refreshes after its own operations.
    this.watcher.on('error', () => {});
  }

  async create(requested: string, kind: 'file' | 'dir'): Promise<Result<FileNode>> {
    const r = await resolveInProject(this.root, requested);
    if (!r.ok) return r;
    const { absolute, relative } = r.value;
    if (await exists(absolute)) return err('exists', `${relative} already exists`);
    try {
      await mkdir(kind === 'dir' ? absolute : path.dirname(absolute), { recursive: true });
      if (kind === 'file') await writeFile(absolute, '', { flag: 'wx' });
    } catch (e) {
      return failure(e, relative);
    }
    const node: FileNode = { path: relative, name: path.basename(relative), kind };
    if (kind === 'dir') node.children = [];
    return { ok: true, value: node };
  }

  async rename(
    fromRequested: string,
    toRequested: string,
  ): Promise<Result<{ from: string; to: string }>> {
    const from = await resolveInProject(this.root, fromRequested);
    if (!from.ok) return from;
    const to = await resolveInProject(this.root, toRequested);
    if (!to.ok) return to;
    const a = from.value;
    const b = to.value;
    if (!(await exists(a.absolute)))
      return err('not-found', `${a.relative}: no such file or folder`);
    if (a.absolute === b.absolute) return { ok: true, value: { from: a.relative, to: b.relative } };
    if ((b.absolute + path.sep).startsWith(a.absolute + path.sep))
      return err('bad-request', `${a.relative} cannot be moved into itself (${b.relative})`);
    if (await exists(b.absolute)) return err('exists', `${b.relative} already exists`);
    try {
      await mkdir(path.dirname(b.absolute), { recursive: true });
      await rename(a.absolute, b.absolute);
    } catch (e) {
      return failure(e, `${a.relative} -> ${b.relative}`);
    }
    return { ok: true, value: { from: a.relative, to: b.relative } };
  }

  async delete(
    requested: string,
    permanently: boolean,
  ): Promise<Result<{ path: string; trashed: boolean }>> {
    const r = await resolveInProject(this.root, requested);
    if (!r.ok) return r;
    const { absolute, relative } = r.value;
    if (!(await exists(absolute))) return err('not-found', `${relative}: no such file or folder`);
    if (permanently) {
      try {
        await rm(absolute, { recursive: true });
      } catch (e) {
        return failure(e, relative);
      }
      return { ok: true, value: { path: relative, trashed: false } };
    }
    try {
      // Loaded when first needed: it is ESM with platform helpers beside it (see bundle.mjs).
      const { default: trash } = await import('trash');
      await trash(absolute, { glob: false });
    } catch (e) {
      return err(
        'unavailable',
        `${relative} could not be moved to the system trash: ${(e as Error).message}`,
        'Delete it permanently instead (it cannot be restored).',
      );
    }
    if (await exists(absolute))
      return err(
        'unavailable',
        `${relative} could not be moved to the system trash (it is still there)`,
        'Delete it permanently instead (it cannot be restored).',
      );
    return { ok: true, value: { path: relative, trashed: true } };
  }

  async readBytes(requested: string, offset: number, length: number): Promise<Result<FileBytes>> {
    const r = await resolveInProject(this.root, requested);
    if (!r.ok) return r;
    const { absolute, relative } = r.value;
    try {
      const handle = await open(absolute, 'r');
      try {
        const { size } = await handle.stat();
        const n = Math.max(0, Math.min(length, size - offset));
        const bytes = new Uint8Array(n);
        if (n > 0) await handle.read(bytes, 0, n, offset);
        return { ok: true, value: { path: relative, offset, bytes, size } };
      } finally {
        await handle.close();
      }
    } catch (e) {
      return failure(e, relative);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    void this.watcher?.close();
  }
}
