// The recovery store on disk: one file per buffer, a quota, pruning of entries nobody needs,
// atomic writes, and two hosts on the same project that never overwrite each other's entries.
import { constants as bufferConstants } from 'node:buffer';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { RECOVERY_QUOTA_BYTES, RecoveryStore } from './recovery';

let root: string;
let dir: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'capsule-recovery-project-'));
  mkdirSync(path.join(root, 'src'));
  writeFileSync(path.join(root, 'src', 'a.rs'), 'fn a() {}\n');
  writeFileSync(path.join(root, 'src', 'b.rs'), 'fn b() {}\n');
  dir = mkdtempSync(path.join(os.tmpdir(), 'capsule-recovery-store-'));
});

/** Every file under the store folder, relative, with its inode and mtime. */
function storeFiles(): Map<string, { ino: number; mtimeMs: number; size: number }> {
  const out = new Map<string, { ino: number; mtimeMs: number; size: number }>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = statSync(p);
        out.set(path.relative(dir, p), { ino: st.ino, mtimeMs: st.mtimeMs, size: st.size });
      }
    }
  };
  walk(dir);
  return out;
}

const paths = (r: Awaited<ReturnType<RecoveryStore['list']>>) =>
  r.ok ? r.value.map((b) => b.path).sort() : r.error.message;

describe('RecoveryStore on disk', () => {
  it('keeps one file per buffer and never rewrites the other buffers', async () => {
    const store = new RecoveryStore(root, dir);
    expect((await store.put('src/a.rs', 'edited a', 1)).ok).toBe(true);
    expect((await store.put('src/b.rs', 'edited b', 1)).ok).toBe(true);
    const before = storeFiles();
    const entryFiles = [...before.keys()].filter((f) => f.endsWith('.entry.json'));
    expect(entryFiles).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 20));
    expect((await store.put('src/a.rs', 'edited a again', 1)).ok).toBe(true);
    const after = storeFiles();
    const bFile = entryFiles.find((f) => readFileSync(path.join(dir, f), 'utf8').includes('b.rs'))!;
    expect(after.get(bFile)).toEqual(before.get(bFile));
    expect(await store.discard('src/a.rs')).toEqual({ ok: true, value: null });
    expect([...storeFiles().keys()].filter((f) => f.endsWith('.entry.json'))).toEqual([bFile]);
  });

  it('does not let two hosts on the same project overwrite each other', async () => {
    const alive = new Set(['host-a', 'host-b']);
    const isAlive = (w: string) => alive.has(w);
    const a = new RecoveryStore(root, dir, { writerId: 'host-a', isWriterAlive: isAlive });
    const b = new RecoveryStore(root, dir, { writerId: 'host-b', isWriterAlive: isAlive });
    await a.put('src/a.rs', 'from A', 1);
    await b.put('src/b.rs', 'from B', 1);
    // Both hosts go away (a crash); the next host restores what each of them had.
    alive.clear();
    const first = new RecoveryStore(root, dir, { writerId: 'host-x', isWriterAlive: isAlive });
    expect(paths(await first.list())).toEqual(['src/a.rs', 'src/b.rs']);

    alive.add('host-a').add('host-b');
    await a.put('src/b.rs', 'A edits b too', 1);
    await b.put('src/a.rs', 'B edits a too', 1);
    // Each window restores its own edits, not those of the other window still open.
    const own = await a.list();
    expect(own.ok && own.value.map((x) => x.content).sort()).toEqual(['A edits b too', 'from A']);
    alive.clear();
    const c = new RecoveryStore(root, dir, { writerId: 'host-c', isWriterAlive: isAlive });
    const restored = await c.list();
    expect(paths(restored)).toEqual(['src/a.rs', 'src/b.rs']);
    // The newest edit of each file wins the restore; nothing is deleted until it is superseded.
    expect(restored.ok && restored.value.find((x) => x.path === 'src/a.rs')!.content).toBe(
      'B edits a too',
    );
    await c.put('src/a.rs', 'C continues', 1);
    const again = new RecoveryStore(root, dir, { writerId: 'host-d', isWriterAlive: isAlive });
    const r = await again.list();
    expect(r.ok && r.value.find((x) => x.path === 'src/a.rs')!.content).toBe('C continues');
  });

  it('restores by default what a host process that is gone had kept', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = `
      const { RecoveryStore } = await import(${JSON.stringify(path.join(import.meta.dirname, 'recovery.ts'))});
      const store = new RecoveryStore(${JSON.stringify(root)}, ${JSON.stringify(dir)});
      const r = await store.put('src/a.rs', 'from a host that crashed', 1);
      if (!r.ok) throw new Error(r.error.message);
    `;
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
      },
    );
    expect(run.status, run.stderr).toBe(0);
    const r = await new RecoveryStore(root, dir).list();
    expect(r).toMatchObject({
      ok: true,
      value: [{ path: 'src/a.rs', content: 'from a host that crashed' }],
    });
  });

  it('refuses a buffer over the quota with a clear error and keeps what it had', async () => {
    const store = new RecoveryStore(root, dir, { quotaBytes: 2000 });
    expect((await store.put('src/a.rs', 'x'.repeat(900), 1)).ok).toBe(true);
    const over = await store.put('src/b.rs', 'y'.repeat(900), 1);
    expect(over.ok).toBe(false);
    expect(!over.ok && over.error.message).toMatch(/recovery store .* is full/);
    expect(!over.ok && over.error.fix).toContain('Save');
    expect(paths(await store.list())).toEqual(['src/a.rs']);
    // Replacing a buffer only counts its new size.
    expect((await store.put('src/a.rs', 'z'.repeat(1500), 1)).ok).toBe(true);
    const huge = await store.put('src/b.rs', 'w'.repeat(5000), 1);
    expect(!huge.ok && huge.error.message).toMatch(/larger than the recovery store's quota/);
  });

  it('keeps its worst-case list reply under the longest string V8 can build', () => {
    // JSON escapes a control character as six characters: the list reply of a full store must
    // still fit in one string (past it, JSON.stringify throws RangeError: Invalid string length).
    expect(RECOVERY_QUOTA_BYTES * 6 + 1024 * 1024).toBeLessThan(bufferConstants.MAX_STRING_LENGTH);
  });

  it('prunes entries whose file was saved or is long gone, and keeps new unsaved files', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const store = new RecoveryStore(root, dir, { now: () => now });
    await store.put('src/a.rs', 'fn a() {}\n', 1); // equal to the disk: already saved
    await store.put('src/b.rs', 'edited b', 1);
    await store.put('src/new.rs', 'a file never saved', 0);
    writeFileSync(path.join(root, 'src', 'gone.rs'), 'x');
    await store.put('src/gone.rs', 'edits of a file deleted later', 1);
    rmSync(path.join(root, 'src', 'gone.rs'));
    expect(paths(await store.list())).toEqual(['src/b.rs', 'src/gone.rs', 'src/new.rs']);
    now += 31 * 24 * 3600 * 1000;
    expect(paths(await store.list())).toEqual(['src/b.rs', 'src/new.rs']);
    const names = [...storeFiles().keys()].filter((f) => f.endsWith('.entry.json'));
    expect(names).toHaveLength(2);
  });

  it('writes atomically: a torn or foreign file in the store never breaks list', async () => {
    const store = new RecoveryStore(root, dir);
    await store.put('src/a.rs', 'edited', 1);
    const entry = [...storeFiles().keys()].find((f) => f.endsWith('.entry.json'))!;
    const storeDir = path.dirname(path.join(dir, entry));
    writeFileSync(path.join(storeDir, 'deadbeef.x.entry.json'), '{"path": "src/b.rs", "cont');
    writeFileSync(path.join(storeDir, '.tmp-1234'), 'half a write');
    // The next host (the first one is gone) lists what is readable and leaves the rest.
    const r = await new RecoveryStore(root, dir, { isWriterAlive: () => false }).list();
    expect(paths(r)).toEqual(['src/a.rs']);
    expect(existsSync(path.join(storeDir, 'deadbeef.x.entry.json'))).toBe(true);
  });

  it('brings over the buffers of the earlier one-file store', async () => {
    const { createHash } = await import('node:crypto');
    const key = createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 16);
    writeFileSync(
      path.join(dir, `${key}.json`),
      JSON.stringify({
        root,
        buffers: [{ path: 'src/b.rs', content: 'old edits', baseMtimeMs: 5, savedAt: 1 }],
      }),
    );
    const r = await new RecoveryStore(root, dir).list();
    expect(r).toMatchObject({ ok: true, value: [{ path: 'src/b.rs', content: 'old edits' }] });
    expect(existsSync(path.join(dir, `${key}.json`))).toBe(false);
  });
});
