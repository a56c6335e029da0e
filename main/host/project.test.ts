// The project service with bad input: non-UTF-8, binary and very large files, paths outside the
// project, saves over files changed or deleted behind the editor, and change detection.
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HostEvents } from '../common/contract';
import { MAX_EDITABLE_BYTES, ProjectService } from './project';
import { RecoveryStore } from './recovery';

let root: string;
let events: { name: string; payload: HostEvents[keyof HostEvents] }[];
let svc: ProjectService;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'capsule-project-'));
  mkdirSync(path.join(root, 'src'));
  mkdirSync(path.join(root, 'target', 'debug'), { recursive: true });
  mkdirSync(path.join(root, 'boards', 'mps2-an386'), { recursive: true });
  writeFileSync(path.join(root, 'boards', 'mps2-an386', 'Cargo.toml'), '');
  writeFileSync(path.join(root, 'Cargo.toml'), '[workspace]\n');
  writeFileSync(path.join(root, 'src', 'lib.rs'), 'fn main() {}\n');
  writeFileSync(path.join(root, 'target', 'debug', 'junk'), '');
  events = [];
  svc = new ProjectService(root, 'browser', (name, payload) => events.push({ name, payload }));
});

describe('ProjectService', () => {
  it('describes a kernel workspace and its boards; explains a folder without Cargo.toml', () => {
    const info = svc.info();
    expect(info.ok && info.value).toMatchObject({ isCargoWorkspace: true, boards: ['mps2-an386'] });
    rmSync(path.join(root, 'Cargo.toml'));
    const bare = svc.info();
    expect(bare.ok && bare.value.isCargoWorkspace).toBe(false);
    expect(bare.ok && bare.value.problem).toContain('has no Cargo.toml');
  });

  it('lists files without build output', async () => {
    const r = await svc.listFiles();
    const names = r.ok ? r.value.map((n) => n.name) : [];
    expect(names).toEqual(['boards', 'src', 'Cargo.toml']);
  });

  it('opens non-UTF-8 text read-only with a notice', async () => {
    writeFileSync(path.join(root, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    const r = await svc.readFile('latin1.txt');
    expect(r.ok && r.value.readOnly).toBe(true);
    expect(r.ok && r.value.notice).toContain('not valid UTF-8');
  });

  it('refuses binary and very large files with a clear message', async () => {
    writeFileSync(path.join(root, 'image.bin'), Buffer.from([1, 2, 0, 3]));
    const bin = await svc.readFile('image.bin');
    expect(bin.ok === false && bin.error).toMatchObject({ code: 'binary' });
    writeFileSync(path.join(root, 'huge.rs'), Buffer.alloc(MAX_EDITABLE_BYTES + 1, 0x61));
    const huge = await svc.readFile('huge.rs');
    expect(huge.ok === false && huge.error.code).toBe('too-large');
    expect(huge.ok === false && huge.error.message).toMatch(
      /huge\.rs is 4\.0 MiB; files over 4 MiB/,
    );
  });

  it('refuses paths outside the project for reads and writes', async () => {
    const r = await svc.readFile('../../etc/passwd');
    expect(r.ok === false && r.error.code).toBe('outside-project');
    const w = await svc.writeFile('/tmp/evil', 'x');
    expect(w.ok === false && w.error.code).toBe('outside-project');
  });

  it('refuses to save over a file changed or deleted behind the editor, unless forced', async () => {
    const opened = await svc.readFile('src/lib.rs');
    if (!opened.ok) throw new Error(opened.error.message);
    const file = path.join(root, 'src', 'lib.rs');
    writeFileSync(file, 'changed elsewhere\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const conflict = await svc.writeFile('src/lib.rs', 'mine', opened.value.mtimeMs);
    expect(conflict.ok === false && conflict.error.message).toContain(
      'was changed on disk after it was opened',
    );
    rmSync(file);
    const gone = await svc.writeFile('src/lib.rs', 'mine', opened.value.mtimeMs);
    expect(gone.ok === false && gone.error.message).toContain('was deleted on disk');
    expect((await svc.writeFile('src/lib.rs', 'mine')).ok).toBe(true);
  });

  it('reports open files changed or deleted on disk', async () => {
    await svc.readFile('src/lib.rs');
    await svc.watch(['src/lib.rs']);
    const file = path.join(root, 'src', 'lib.rs');
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    await svc.poll();
    rmSync(file);
    await svc.poll();
    await svc.poll();
    svc.dispose();
    expect(events.map((e) => (e.payload as HostEvents['project.fileChanged']).kind)).toEqual([
      'changed',
      'deleted',
    ]);
  });
});

describe('ProjectService saves (issue 12)', () => {
  it('never writes through a link planted where the save puts its temporary file', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'capsule-outside-'));
    const victim = path.join(outside, 'victim');
    writeFileSync(victim, 'precious\n');
    const file = path.join(root, 'src', 'lib.rs');
    // The temporary names a save used to pick: predictable from the host's pid.
    symlinkSync(victim, `${file}.capsule-save-${process.pid}`);
    const r = await svc.writeFile('src/lib.rs', 'my edits\n');
    expect(r.ok).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('my edits\n');
    // No temporary file is left behind in the project.
    expect(readdirSync(path.join(root, 'src')).filter((n) => n.includes('capsule-save'))).toEqual([
      `lib.rs.capsule-save-${process.pid}`,
    ]);
  });

  it('keeps the file mode (an executable script stays executable)', async () => {
    const script = path.join(root, 'run.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    chmodSync(script, 0o755);
    expect((await svc.writeFile('run.sh', '#!/bin/sh\necho bye\n')).ok).toBe(true);
    expect(statSync(script).mode & 0o777).toBe(0o755);
    chmodSync(script, 0o600);
    expect((await svc.writeFile('run.sh', '#!/bin/sh\n')).ok).toBe(true);
    expect(statSync(script).mode & 0o777).toBe(0o600);
  });

  it('writes through an in-project symlink to its target and keeps the link', async () => {
    symlinkSync('lib.rs', path.join(root, 'src', 'alias.rs'));
    const opened = await svc.readFile('src/alias.rs');
    expect(opened.ok).toBe(true);
    const r = await svc.writeFile(
      'src/alias.rs',
      'through the link\n',
      opened.ok ? opened.value.mtimeMs : 0,
    );
    expect(r.ok).toBe(true);
    expect(lstatSync(path.join(root, 'src', 'alias.rs')).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(root, 'src', 'lib.rs'), 'utf8')).toBe('through the link\n');
  });

  it('refuses a save over an outside rewrite that kept the mtime (size or content differ)', async () => {
    const file = path.join(root, 'src', 'lib.rs');
    for (const rewrite of ['fn other() {}\n' /* longer */, 'fn mine() {}\n' /* same size */]) {
      writeFileSync(file, 'fn main() {}\n');
      const opened = await svc.readFile('src/lib.rs');
      if (!opened.ok) throw new Error(opened.error.message);
      const { mtimeMs } = statSync(file);
      writeFileSync(file, rewrite);
      utimesSync(file, new Date(), new Date(mtimeMs));
      expect(Math.abs(statSync(file).mtimeMs - opened.value.mtimeMs)).toBeLessThanOrEqual(1);
      const r = await svc.writeFile('src/lib.rs', 'my edits\n', opened.value.mtimeMs);
      expect(r.ok === false && r.error.code, rewrite).toBe('conflict');
      expect(readFileSync(file, 'utf8')).toBe(rewrite);
    }
  });

  it('reports an open file rewritten behind the editor with its mtime kept', async () => {
    const file = path.join(root, 'src', 'lib.rs');
    await svc.readFile('src/lib.rs');
    await svc.watch(['src/lib.rs']);
    const { mtimeMs } = statSync(file);
    writeFileSync(file, 'fn mine() {}\n'); // same length as the original
    utimesSync(file, new Date(), new Date(mtimeMs));
    await svc.poll();
    svc.dispose();
    expect(events.map((e) => e.payload)).toEqual([
      expect.objectContaining({ path: 'src/lib.rs', kind: 'changed' }),
    ]);
  });

  it('refuses a FIFO in the project at once instead of waiting for a writer', async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [path.join(root, 'src', 'pipe.rs')]);
    const r = await svc.readFile('src/pipe.rs');
    expect(r.ok === false && r.error.message).toContain('not a regular file');
    const w = await svc.writeFile('src/pipe.rs', 'x');
    expect(w.ok === false && w.error.message).toContain('not a regular file');
  }, 5000);

  it('does not open a file named with a trailing slash', async () => {
    for (const p of ['src/lib.rs/', 'src/lib.rs/.', 'src/lib.rs\\']) {
      const r = await svc.readFile(p);
      expect(r.ok, p).toBe(false);
      expect(r.ok === false && r.error.message).toContain(p);
      expect((await svc.writeFile(p, 'x')).ok).toBe(false);
    }
    expect(existsSync(path.join(root, 'src', 'lib.rs'))).toBe(true);
    expect(readFileSync(path.join(root, 'src', 'lib.rs'), 'utf8')).toBe('fn main() {}\n');
  });
});

describe('RecoveryStore', () => {
  it('keeps unsaved buffers across instances (a window reload) until discarded', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'capsule-recovery-'));
    const a = new RecoveryStore(root, dir);
    expect((await a.put('src/lib.rs', 'unsaved text', 123)).ok).toBe(true);
    // The same host serves a reloaded window; a restarted host (the first one gone) too.
    expect(await a.list()).toMatchObject({ ok: true, value: [{ path: 'src/lib.rs' }] });
    const b = new RecoveryStore(root, dir, { isWriterAlive: () => false });
    expect(await b.list()).toMatchObject({
      ok: true,
      value: [{ path: 'src/lib.rs', content: 'unsaved text', baseMtimeMs: 123 }],
    });
    await b.discard('src/lib.rs');
    expect(await new RecoveryStore(root, dir, { isWriterAlive: () => false }).list()).toEqual({
      ok: true,
      value: [],
    });
    expect((await b.put('../x', 'y', 0)).ok).toBe(false);
  });
});
