// The Rust gate (`node scripts/kernel.mjs test-host` runs it after the host tests): it fails on
// unformatted code, on an unsafe block without a SAFETY comment and on an unsafe fn without a
// Safety section, and passes once they are fixed. Run on a copy of the host-target fixture
// workspace, so it needs no cross toolchain.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipWithoutTool } from '../tests/tools.ts';
import { gate } from './kernel.mjs';

const FIXTURE = resolve(import.meta.dirname, '..', 'tests', 'fixtures', 'mini-kernel');
const dir = mkdtempSync(join(tmpdir(), 'capsule-gate-'));
cpSync(FIXTURE, dir, { recursive: true, filter: (s) => !s.endsWith('target') });
const main = join(dir, 'boards', 'hostboard', 'src', 'main.rs');
const clean = readFileSync(main, 'utf8');
const check = () =>
  gate(dir, { crates: ['hostboard', 'mini-capsules'], appCrates: [], quiet: true });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const home = process.env.CARGO_HOME || join(process.env.HOME ?? '', '.cargo');
const cargo = existsSync(join(home, 'bin', 'cargo')) ? join(home, 'bin', 'cargo') : 'cargo';
const haveTools = ['clippy', 'fmt'].every(
  (tool) => spawnSync(cargo, [tool, '--version'], { encoding: 'utf8' }).status === 0,
);
const noTools = skipWithoutTool(
  haveTools,
  'cargo clippy and rustfmt',
  'rustup component add clippy rustfmt',
);

describe.skipIf(noTools)('Rust gate', () => {
  it('passes the clean workspace', () => {
    expect(check()).toBe(0);
  }, 120_000);

  it('fails an unsafe block without a SAFETY comment, and passes it with one', () => {
    const read = (comment) =>
      `${clean}\n/// Reads one byte.\npub fn read(p: &u8) -> u8 {\n${comment}    unsafe { core::ptr::read(p) }\n}\n`;
    writeFileSync(main, read(''));
    expect(check()).toBe(1);
    writeFileSync(main, read('    // SAFETY: `p` is a reference, so it is valid and aligned.\n'));
    expect(check()).toBe(0);
  }, 120_000);

  it('fails an unsafe fn without a Safety section, and passes it with one', () => {
    const read = (doc) =>
      `${clean}\n/// Reads one byte.\n${doc}pub unsafe fn read(p: *const u8) -> u8 {\n    *p\n}\n`;
    writeFileSync(main, read(''));
    expect(check()).toBe(1);
    writeFileSync(main, read('///\n/// # Safety\n/// `p` must be valid for a read.\n'));
    expect(check()).toBe(0);
  }, 120_000);

  it('fails code cargo fmt would change', () => {
    writeFileSync(main, `${clean}\nfn  badly_formatted( )  {}\n`);
    expect(check()).toBe(1);
    writeFileSync(main, clean);
    expect(check()).toBe(0);
  }, 120_000);
});
