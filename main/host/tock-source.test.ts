/**
 * A system call's call site from its inline chain: past the runtime crate (the `svc`'s) and
 * Rust's library to the first frame in another crate of the project; the outermost project
 * frame when the chain never leaves the runtime; null for no chain; crates found by the
 * project's own files when the images recorded another root (a moved or copied project).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CallSites } from './tock-source';

const root = mkdtempSync(path.join(os.tmpdir(), 'tock-source-'));
for (const crate of ['apps/runtime', 'apps/blink']) {
  mkdirSync(path.join(root, crate, 'src'), { recursive: true });
  writeFileSync(path.join(root, crate, 'Cargo.toml'), '[package]\n');
}
writeFileSync(path.join(root, 'Cargo.toml'), '[workspace]\n');
const at = (file: string, line: number) => ({ file: path.join(root, file), line, column: 1 });
const core = { file: '/rustc/abc/library/core/src/sync/atomic.rs', line: 2592, column: 24 };

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('CallSites.appCallSite', () => {
  const sites = new CallSites(root);

  it("walks out of the runtime and Rust's library to the app's line", () => {
    const chain = [
      at('apps/runtime/src/syscall.rs', 42),
      at('apps/runtime/src/syscall.rs', 132),
      core,
      at('apps/runtime/src/console.rs', 24),
      at('apps/blink/src/main.rs', 12),
      at('apps/blink/src/main.rs', 30),
    ];
    expect(sites.appCallSite(chain)).toMatchObject({
      path: 'apps/blink/src/main.rs',
      line: 12,
      inProject: true,
    });
  });

  it('gives the outermost runtime line when the chain stays in the runtime', () => {
    const chain = [
      at('apps/runtime/src/syscall.rs', 42),
      at('apps/runtime/src/syscall.rs', 132),
      at('apps/runtime/src/console.rs', 24),
      core,
    ];
    expect(sites.appCallSite(chain)).toMatchObject({
      path: 'apps/runtime/src/console.rs',
      line: 24,
    });
    expect(sites.appCallSite([at('apps/runtime/src/syscall.rs', 42)])).toMatchObject({
      path: 'apps/runtime/src/syscall.rs',
      line: 42,
    });
  });

  it('finds the crates of a project built elsewhere (recorded paths under another root)', () => {
    const moved = (file: string, line: number) => ({
      file: path.join('/home/someone/old-copy', file),
      line,
      column: 1,
    });
    const chain = [
      moved('apps/runtime/src/syscall.rs', 42),
      moved('apps/runtime/src/console.rs', 24),
      moved('apps/blink/src/main.rs', 12),
      moved('apps/runtime/src/entry.rs', 122),
    ];
    for (const f of ['syscall.rs', 'console.rs', 'entry.rs'])
      writeFileSync(path.join(root, 'apps/runtime/src', f), '');
    writeFileSync(path.join(root, 'apps/blink/src/main.rs'), '');
    expect(sites.appCallSite(chain)).toMatchObject({
      path: 'apps/blink/src/main.rs',
      line: 12,
      inProject: true,
    });
  });

  it('is null for an address without a line', () => {
    expect(sites.appCallSite([])).toBeNull();
  });

  it('finds each file its crate by the nearest Cargo.toml', () => {
    expect(sites.crateOf(path.join(root, 'apps/blink/src/main.rs'))).toBe(
      path.join(root, 'apps/blink'),
    );
    expect(sites.crateOf(path.join(root, 'build.rs'))).toBe(root);
    expect(sites.crateOf('/rustc/abc/library/core/src/lib.rs')).toBeNull();
  });
});
