/**
 * Replaces a file atomically without ever writing where the caller did not mean to.
 *
 * Saves and the recovery store write a temporary file beside the target and rename it over
 * the target, so a crash leaves either the old or the new text, never half of one. The
 * temporary file is where the danger is: a predictable name can be pre-planted as a symbolic
 * link, and the content would go wherever it points before the rename moves the link over the
 * file. So the temporary file gets an unpredictable name and is created exclusively (O_EXCL:
 * the open fails on anything already there, links included; O_NOFOLLOW where the platform has
 * it), and what was actually opened is checked again before a byte is written: the path must
 * still name the opened file (same device and inode) and lie inside the folder the caller
 * confines it to, so a folder swapped for a link between the caller's check and the open is
 * caught. The new file gets the mode asked for (a save keeps the old file's mode).
 *
 * The remaining window is the rename itself (Node has no renameat on a held directory): a
 * folder swapped for a link between the check and the rename could still move the checked
 * temporary file out. The content would be the user's own text, never another file's.
 *
 * @example
 *   const r = await writeFileAtomic('/real/project/src', 'lib.rs', text, { confine: '/real/project', mode: 0o644 });
 *   if (!r.ok) return r;
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, realpath, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { HostError, Result } from '../common/contract.js';

export interface AtomicWriteOptions {
  /** Real (symlink-free) path of the folder the written file must stay inside. */
  confine: string;
  /** Permission bits of the new file; the platform default (0o666 less the umask) if absent. */
  mode?: number;
  /** Flush the data to the disk before the rename (a save); the recovery store skips it. */
  durable?: boolean;
  /** Names a temporary file for `name`; tests replace it to force collisions. */
  tempName?: (name: string) => string;
}

const EXCLUSIVE =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

const ATTEMPTS = 8;

export const defaultTempName = (name: string): string =>
  `.${name}.capsule-save-${randomBytes(8).toString('hex')}`;

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const fail = (code: HostError['code'], message: string): { ok: false; error: HostError } => ({
  ok: false,
  error: { code, message },
});

/**
 * Writes `data` to `dir/name` through an exclusive temporary file in `dir`. `dir` must be a
 * real path (the caller resolved links); errors are values, never thrown.
 */
export async function writeFileAtomic(
  dir: string,
  name: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions,
): Promise<Result<null>> {
  const makeName = opts.tempName ?? defaultTempName;
  let handle: FileHandle | undefined;
  let tmp = '';
  for (let attempt = 0; attempt < ATTEMPTS && !handle; attempt++) {
    tmp = path.join(dir, makeName(name));
    try {
      handle = await open(tmp, EXCLUSIVE, opts.mode ?? 0o666);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Something already has that name (a file, a planted link): pick another name.
      if (code === 'EEXIST' || code === 'ELOOP') continue;
      return fail('io', `could not create a temporary file in ${dir}: ${(e as Error).message}`);
    }
  }
  if (!handle) return fail('io', `could not create a temporary file in ${dir} (names taken)`);

  let ours = true;
  try {
    const confined = await openedInside(handle, tmp, opts.confine);
    if (!confined.ok) {
      // Remove what we created, unless the path no longer names it (then it is not ours).
      ours = confined.sameFile;
      return confined;
    }
    await handle.writeFile(data);
    // The mode given at creation is reduced by the umask; a save must keep the exact bits.
    if (opts.mode !== undefined) await handle.chmod(opts.mode).catch(() => undefined);
    if (opts.durable) await handle.datasync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path.join(dir, name));
    ours = false;
    return { ok: true, value: null };
  } catch (e) {
    return fail('io', `could not write ${path.join(dir, name)}: ${(e as Error).message}`);
  } finally {
    await handle?.close().catch(() => undefined);
    if (ours) await unlink(tmp).catch(() => undefined);
  }
}

/**
 * The path `opened` still names the open file, and its real location is inside `confine`.
 * On refusal, `sameFile` tells whether the path still names the file that was opened.
 */
export async function openedInside(
  handle: FileHandle,
  opened: string,
  confine: string,
): Promise<{ ok: true; value: null } | { ok: false; error: HostError; sameFile: boolean }> {
  const outside = (sameFile: boolean) => ({
    ...fail(
      'outside-project',
      `refused to write ${opened}: a folder on its path leads outside ${confine} (it changed while saving)`,
    ),
    sameFile,
  });
  try {
    const [held, named, real] = await Promise.all([handle.stat(), lstat(opened), realpath(opened)]);
    if (held.dev !== named.dev || held.ino !== named.ino) return outside(false);
    return isInside(confine, real) ? { ok: true, value: null } : outside(true);
  } catch {
    return outside(false);
  }
}
