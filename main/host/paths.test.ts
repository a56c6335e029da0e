// Path confinement: every way a renderer-supplied path could reach outside the project.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveInProject, resolveLexically } from './paths';

let root: string;
let outside: string;
beforeAll(() => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'capsule-paths-'));
  root = path.join(base, 'project');
  outside = path.join(base, 'secret');
  mkdirSync(path.join(root, 'src'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(root, 'src', 'lib.rs'), '');
  writeFileSync(path.join(outside, 'key'), 'x');
  symlinkSync(outside, path.join(root, 'escape'));
  symlinkSync(path.join(root, 'src'), path.join(root, 'inner-link'));
});

describe('resolveLexically', () => {
  it('accepts project-relative paths and normalises them', () => {
    const r = resolveLexically(root, 'src/./lib.rs');
    expect(r.ok && r.value.relative).toBe('src/lib.rs');
    expect(r.ok && r.value.absolute).toBe(path.join(root, 'src', 'lib.rs'));
  });

  it.each([
    ['../secret/key', 'leads outside the project folder'],
    ['src/../../secret/key', 'leads outside the project folder'],
    ['/etc/passwd', 'absolute paths are not accepted'],
    ['C:/Windows/win.ini', 'absolute paths are not accepted'],
    ['src\\..\\..\\secret', 'leads outside the project folder'],
    ['src/lib.rs\0.png', 'NUL byte'],
    ['.', 'names the project folder'],
  ])('refuses %j', (p, why) => {
    const r = resolveLexically(root, p);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('outside-project');
      expect(r.error.message).toContain(why);
    }
  });
});

describe('resolveLexically on paths resolving would change (issue 12)', () => {
  it.each([
    ['src/lib.rs/', 'ends with a folder separator'],
    ['src/lib.rs/.', 'ends with a folder separator'],
    ['src/lib.rs\\', 'ends with a folder separator'],
    ['src/lib.rs/..', 'ends with a folder separator'],
    ['src/lib.rs/../Cargo.toml', 'has a ".." segment'],
  ])('refuses %j instead of opening another file', (p, why) => {
    const r = resolveLexically(root, p);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('bad-request');
      expect(r.error.message).toContain(why);
    }
  });
});

describe('resolveInProject', () => {
  it('refuses a symlink that leads outside', async () => {
    const r = await resolveInProject(root, 'escape/key');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('through a link');
  });

  it('refuses creating a file inside a symlinked folder that leads outside', async () => {
    expect((await resolveInProject(root, 'escape/new.rs')).ok).toBe(false);
  });

  it('allows links that stay inside and files not created yet', async () => {
    expect((await resolveInProject(root, 'inner-link/lib.rs')).ok).toBe(true);
    expect((await resolveInProject(root, 'src/new/deep/file.rs')).ok).toBe(true);
  });
});
