// Explorer operations on a real folder: create, rename and move, delete to the freedesktop
// trash (a temporary XDG data folder), all confined to the project; and the folder watcher.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostEvents } from '../common/contract';
import { FileService } from './files';

let base: string;
let root: string;
let events: { name: string; payload: unknown }[];
let files: FileService;
const savedData = process.env.XDG_DATA_HOME;

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'files-'));
  root = path.join(base, 'project');
  mkdirSync(path.join(root, 'src'), { recursive: true });
  writeFileSync(path.join(root, 'src', 'a.rs'), 'a');
  process.env.XDG_DATA_HOME = path.join(base, 'data');
  events = [];
  files = new FileService(
    root,
    <K extends keyof HostEvents>(name: K, payload: HostEvents[K]) => events.push({ name, payload }),
    { watch: false },
  );
});
afterEach(() => {
  files.dispose();
  if (savedData === undefined) delete process.env.XDG_DATA_HOME;
  else process.env.XDG_DATA_HOME = savedData;
  rmSync(base, { recursive: true, force: true });
});

describe('FileService', () => {
  it('creates files and folders, never over an existing one', async () => {
    expect(await files.create('src/b.rs', 'file')).toEqual({
      ok: true,
      value: { path: 'src/b.rs', name: 'b.rs', kind: 'file' },
    });
    expect(readFileSync(path.join(root, 'src/b.rs'), 'utf8')).toBe('');
    expect((await files.create('docs/deep', 'dir')).ok).toBe(true);
    expect(existsSync(path.join(root, 'docs/deep'))).toBe(true);
    expect(await files.create('src/a.rs', 'file')).toMatchObject({
      ok: false,
      error: { code: 'exists', message: 'src/a.rs already exists' },
    });
    expect(readFileSync(path.join(root, 'src/a.rs'), 'utf8')).toBe('a');
  });

  it('renames and moves, refusing targets that exist, escape or lie inside the source', async () => {
    expect(await files.rename('src/a.rs', 'lib/a2.rs')).toEqual({
      ok: true,
      value: { from: 'src/a.rs', to: 'lib/a2.rs' },
    });
    expect(readFileSync(path.join(root, 'lib/a2.rs'), 'utf8')).toBe('a');
    writeFileSync(path.join(root, 'src/c.rs'), 'c');
    expect(await files.rename('src/c.rs', 'lib/a2.rs')).toMatchObject({
      ok: false,
      error: { code: 'exists' },
    });
    expect(await files.rename('src/c.rs', '../outside.rs')).toMatchObject({
      ok: false,
      error: { code: 'outside-project' },
    });
    expect(await files.rename('src', 'src/inner')).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    expect(await files.rename('nope.rs', 'x.rs')).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
    expect(existsSync(path.join(base, 'outside.rs'))).toBe(false);
  });

  it('refuses paths that reach outside through a link', async () => {
    mkdirSync(path.join(base, 'elsewhere'));
    symlinkSync(path.join(base, 'elsewhere'), path.join(root, 'link'));
    expect(await files.create('link/x.rs', 'file')).toMatchObject({
      ok: false,
      error: { code: 'outside-project' },
    });
    // A link leading outside is refused as a whole: nothing outside can be trashed through it.
    expect(await files.delete('link', true)).toMatchObject({
      ok: false,
      error: { code: 'outside-project' },
    });
    expect(existsSync(path.join(base, 'elsewhere'))).toBe(true);
  });

  it('deletes to the freedesktop trash, or permanently when asked', async () => {
    const r = await files.delete('src/a.rs', false);
    expect(r).toEqual({ ok: true, value: { path: 'src/a.rs', trashed: true } });
    expect(existsSync(path.join(root, 'src/a.rs'))).toBe(false);
    const infoDir = path.join(base, 'data', 'Trash', 'info');
    const info = readdirSync(infoDir).map((f) => readFileSync(path.join(infoDir, f), 'utf8'));
    expect(info.some((t) => t.includes('[Trash Info]') && t.includes('project/src/a.rs'))).toBe(
      true,
    );
    expect(readdirSync(path.join(base, 'data', 'Trash', 'files'))).toHaveLength(1);
    writeFileSync(path.join(root, 'src/b.rs'), 'b');
    expect(await files.delete('src/b.rs', true)).toEqual({
      ok: true,
      value: { path: 'src/b.rs', trashed: false },
    });
    expect(readdirSync(path.join(base, 'data', 'Trash', 'files'))).toHaveLength(1);
    expect(await files.delete('../project', true)).toMatchObject({ ok: false });
    expect(existsSync(root)).toBe(true);
  });

  it('reads bytes of a file', async () => {
    writeFileSync(path.join(root, 'blob.bin'), Buffer.from([9, 0, 8, 7]));
    const r = await files.readBytes('blob.bin', 1, 2);
    expect(r).toMatchObject({ ok: true, value: { offset: 1, size: 4 } });
    if (r.ok) expect([...r.value.bytes]).toEqual([0, 8]);
  });

  it('reports folders whose entries changed on disk, not the build output', async () => {
    files.dispose();
    files = new FileService(
      root,
      <K extends keyof HostEvents>(name: K, payload: HostEvents[K]) =>
        events.push({ name, payload }),
      { watch: true },
    );
    await new Promise((r) => setTimeout(r, 300));
    mkdirSync(path.join(root, 'target'));
    writeFileSync(path.join(root, 'target', 'x.o'), '');
    writeFileSync(path.join(root, 'src', 'new.rs'), '');
    await expect
      .poll(() => events.filter((e) => e.name === 'project.treeChanged').length, { timeout: 5000 })
      .toBeGreaterThan(0);
    const folders = events.flatMap((e) => (e.payload as { folders: string[] }).folders);
    expect(folders).toContain('src');
    expect(folders.some((f) => f.startsWith('target'))).toBe(false);
  });
});
