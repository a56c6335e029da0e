// Exclusive temporary files and the confinement check on what was actually opened.
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { openedInside, writeFileAtomic } from './atomic';

let root: string;
let outside: string;

beforeEach(() => {
  const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'capsule-atomic-')));
  root = path.join(base, 'project');
  outside = path.join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
});

describe('writeFileAtomic', () => {
  it('never opens a name that already exists, a planted link included', async () => {
    const victim = path.join(outside, 'victim');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, path.join(root, 'taken-1'));
    symlinkSync(path.join(outside, 'missing'), path.join(root, 'taken-2')); // dangling
    const names = ['taken-1', 'taken-2', 'free'];
    const r = await writeFileAtomic(root, 'file.rs', 'text', {
      confine: root,
      tempName: () => names.shift()!,
    });
    expect(r).toEqual({ ok: true, value: null });
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readdirSync(outside)).toEqual(['victim']);
    expect(readFileSync(path.join(root, 'file.rs'), 'utf8')).toBe('text');
    expect(lstatSync(path.join(root, 'taken-1')).isSymbolicLink()).toBe(true);
  });

  it('sets the exact mode asked for, whatever the umask', async () => {
    const r = await writeFileAtomic(root, 'run.sh', '#!/bin/sh\n', { confine: root, mode: 0o775 });
    expect(r.ok).toBe(true);
    expect(statSync(path.join(root, 'run.sh')).mode & 0o777).toBe(0o775);
  });

  it('refuses to write when the folder leads outside the confinement', async () => {
    symlinkSync(outside, path.join(root, 'link'));
    const r = await writeFileAtomic(path.join(root, 'link'), 'x.rs', 'text', { confine: root });
    expect(r.ok === false && r.error.code).toBe('outside-project');
    expect(readdirSync(outside)).toEqual([]);
  });
});

describe('openedInside', () => {
  it('sees through a folder link to where the file really is', async () => {
    symlinkSync(outside, path.join(root, 'link'));
    const file = path.join(root, 'link', 't');
    const fh = await open(file, 'w');
    expect((await openedInside(fh, file, root)).ok).toBe(false);
    await fh.close();
    const inner = path.join(root, 't');
    const ok = await open(inner, 'w');
    expect((await openedInside(ok, inner, root)).ok).toBe(true);
    // The path now names another file than the one held open.
    writeFileSync(path.join(root, 'other'), '');
    const { renameSync } = await import('node:fs');
    renameSync(path.join(root, 'other'), inner);
    expect((await openedInside(ok, inner, root)).ok).toBe(false);
    await ok.close();
  });
});
