/**
 * Confines renderer-supplied paths to the open project.
 *
 * Every path the renderer sends is project-relative text from an untrusted transport. The host
 * resolves it here and refuses anything that would reach outside the project folder: absolute
 * paths, `..` escapes, NUL bytes, and symbolic links whose target lies outside (checked on the
 * real path of the file, or of its nearest existing parent for a file being created). A path
 * that resolving would change in meaning (`x/`, `x/.`, `a/../b`) is refused too, not normalised.
 *
 * @example
 *   const r = await resolveInProject('/home/me/kernel', 'capsules/src/led.rs');
 *   if (!r.ok) return r; // { code: 'outside-project', message: ... }
 *   await fs.readFile(r.value.absolute);
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { HostError } from '../common/contract.js';

export interface ResolvedPath {
  absolute: string;
  /** Project-relative, forward slashes. */
  relative: string;
}

export type PathResult = { ok: true; value: ResolvedPath } | { ok: false; error: HostError };

const outside = (p: string, why: string): PathResult => ({
  ok: false,
  error: { code: 'outside-project', message: `refused path "${p}": ${why}` },
});

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const malformed = (p: string, why: string): PathResult => ({
  ok: false,
  error: { code: 'bad-request', message: `refused path "${p}": ${why}` },
});

/** Lexical check only (no file system access). */
export function resolveLexically(root: string, requested: string): PathResult {
  if (requested.includes('\0')) return outside(requested, 'it contains a NUL byte');
  const normalised = requested.replace(/\\/g, '/');
  if (normalised.startsWith('/') || /^[A-Za-z]:/.test(normalised))
    return outside(requested, 'absolute paths are not accepted; use a project-relative path');
  const absolute = path.resolve(root, normalised);
  if (!isInside(root, absolute)) return outside(requested, 'it leads outside the project folder');
  if (absolute === path.resolve(root)) return outside(requested, 'it names the project folder');
  // Resolving would quietly drop these, and "x/" would open the file x: the file system
  // itself refuses a file name followed by "/", and ".." after a file.
  const segments = normalised.split('/');
  const last = segments[segments.length - 1];
  if (last === '' || last === '.' || last === '..')
    return malformed(requested, 'it ends with a folder separator, not a file name');
  if (segments.includes('..'))
    return malformed(requested, 'it has a ".." segment; give the path without it');
  return {
    ok: true,
    value: { absolute, relative: path.relative(root, absolute).split(path.sep).join('/') },
  };
}

/** Lexical check plus symlink check against the real project root. */
export async function resolveInProject(root: string, requested: string): Promise<PathResult> {
  const lexical = resolveLexically(root, requested);
  if (!lexical.ok) return lexical;
  const realRoot = await realpath(root);
  // Walk up to the nearest existing ancestor so a file about to be created is checked too.
  let probe = lexical.value.absolute;
  for (;;) {
    try {
      const real = await realpath(probe);
      if (!isInside(realRoot, real))
        return outside(requested, 'it resolves (through a link) outside the project folder');
      return lexical;
    } catch {
      const parent = path.dirname(probe);
      if (parent === probe) return outside(requested, 'no part of it exists');
      probe = parent;
    }
  }
}
