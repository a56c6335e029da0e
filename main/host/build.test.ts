// The build service against a real cargo build of the host-target fixture workspace (through a
// stand-in builder with kernel.mjs's contract): diagnostics, success, missing toolchain, a build
// killed midway, a cancel, and the exit classification.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostEvents } from '../common/contract';
import { BuildService, classifyExit } from './build';

const FIXTURES = path.resolve(import.meta.dirname, '..', '..', 'tests', 'fixtures');
const BUILDER = path.join(FIXTURES, 'fixture-builder.mjs');

function copyFixture(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'capsule-build-'));
  cpSync(path.join(FIXTURES, 'mini-kernel'), dir, {
    recursive: true,
    filter: (s) => !s.endsWith('target'),
  });
  return dir;
}

type Ev = { [K in keyof HostEvents]: { name: K; payload: HostEvents[K] } }[keyof HostEvents];

function runBuild(
  projectRoot: string,
  env: Record<string, string> = {},
  during?: (svc: BuildService, id: number) => void,
) {
  const events: Ev[] = [];
  const saved = { ...process.env };
  Object.assign(process.env, env);
  return new Promise<{ events: Ev[]; finished: HostEvents['build.finished'] }>(
    (resolve, reject) => {
      const svc = new BuildService({
        projectRoot,
        builderScript: BUILDER,
        emit: (name, payload) => {
          events.push({ name, payload } as Ev);
          if (name === 'build.finished')
            resolve({ events, finished: payload as HostEvents['build.finished'] });
        },
      });
      const r = svc.start('hostboard', ['hostboard']);
      process.env = saved;
      if (!r.ok) return reject(new Error(r.error.message));
      expect(svc.start('hostboard', ['hostboard'])).toMatchObject({
        ok: false,
        error: { code: 'build-running' },
      });
      during?.(svc, r.value.buildId);
    },
  );
}

describe('BuildService', () => {
  it('reports a compile error on the right line, then a green build after the fix', async () => {
    const dir = copyFixture();
    const lib = path.join(dir, 'capsules', 'src', 'lib.rs');
    const good = readFileSync(lib, 'utf8');
    const lines = good.split('\n');
    const at = lines.findIndex((l) => l.includes('self.presses += 1;'));
    lines[at] = '        self.presses += true;';
    writeFileSync(lib, lines.join('\n'));

    const bad = await runBuild(dir);
    expect(bad.finished.status).toBe('failed');
    expect(bad.finished.errors).toBeGreaterThan(0);
    const diags = bad.events.filter((e) => e.name === 'build.diagnostics').at(-1)!
      .payload as HostEvents['build.diagnostics'];
    const err = diags.diagnostics.find((d) => d.severity === 'error')!;
    expect(err).toMatchObject({ path: 'capsules/src/lib.rs', line: at + 1, inProject: true });
    expect(
      bad.events.some(
        (e) => e.name === 'build.output' && e.payload.line.includes('Compiling mini-capsules'),
      ),
    ).toBe(true);

    writeFileSync(lib, good);
    const ok = await runBuild(dir);
    expect(ok.finished).toMatchObject({ status: 'succeeded', errors: 0 });
    expect(ok.events.some((e) => e.name === 'build.progress')).toBe(true);
  }, 60_000);

  it('explains a missing toolchain with the fix', async () => {
    const { finished } = await runBuild(copyFixture(), { FIXTURE_TOOLCHAIN_MISSING: '1' });
    expect(finished.status).toBe('toolchain-missing');
    expect(finished.message).toContain('no rustc with a thumbv7em-none-eabi target');
    expect(finished.fix).toContain('npm run setup');
  });

  it('reports a build killed midway as crashed, and a cancel as cancelled', async () => {
    const killed = await runBuild(copyFixture(), { FIXTURE_HANG: '1' }, (svc) => {
      const child = (svc as unknown as { running: { child: { pid: number } } }).running.child;
      setTimeout(() => process.kill(child.pid, 'SIGKILL'), 300);
    });
    expect(killed.finished.status).toBe('crashed');
    expect(killed.finished.message).toContain('killed midway (SIGKILL)');

    const cancelled = await runBuild(copyFixture(), { FIXTURE_HANG: '1' }, (svc, id) => {
      setTimeout(() => expect(svc.cancel(id).ok).toBe(true), 300);
    });
    expect(cancelled.finished.status).toBe('cancelled');
  });

  it('refuses unknown boards and folders without Cargo.toml', () => {
    const svc = new BuildService({
      projectRoot: copyFixture(),
      builderScript: BUILDER,
      emit: () => {},
    });
    expect(svc.start('nrf52840dk', ['hostboard'])).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    const empty = new BuildService({
      projectRoot: mkdtempSync(path.join(os.tmpdir(), 'capsule-empty-')),
      builderScript: BUILDER,
      emit: () => {},
    });
    const r = empty.start('hostboard', ['hostboard']);
    expect(r.ok === false && r.error.message).toContain('has no Cargo.toml');
  });
});

describe('classifyExit', () => {
  const base = { code: 0, signal: null, cancelled: false, errors: 0, board: 'b' } as const;
  it.each([
    [{ ...base }, 'succeeded'],
    [{ ...base, code: 101, errors: 2 }, 'failed'],
    [{ ...base, code: 101 }, 'crashed'],
    [{ ...base, code: null, signal: 'SIGKILL' as const }, 'crashed'],
    [{ ...base, code: null, signal: 'SIGTERM' as const, cancelled: true }, 'cancelled'],
    [{ ...base, code: 3, toolchainLine: 'toolchain: no target' }, 'toolchain-missing'],
    [{ ...base, code: null, spawnError: 'ENOENT' }, 'crashed'],
    [{ ...base, code: 101, errors: 1, toolchainLine: 'toolchain: building core' }, 'failed'],
  ])('%j -> %s', (input, status) => {
    expect(classifyExit(input).status).toBe(status);
  });

  it('splits a toolchain line into problem and fix', () => {
    expect(
      classifyExit({ ...base, code: 3, toolchainLine: 'toolchain: no sysroot. fix: run setup' }),
    ).toEqual({
      status: 'toolchain-missing',
      message: 'Toolchain problem: no sysroot.',
      fix: 'run setup',
    });
  });
});
