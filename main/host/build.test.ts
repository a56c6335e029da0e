// The build service against a real cargo build of the host-target fixture workspace (through a
// stand-in builder with kernel.mjs's contract): diagnostics, success, missing toolchain, a build
// killed midway, a cancel, and the exit classification.
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostEvents } from '../common/contract';
import { BuildService, classifyExit, parseArtifactsLine } from './build';

const FIXTURES = path.resolve(import.meta.dirname, '..', '..', 'tests', 'fixtures');
const BUILDER = path.join(FIXTURES, 'fixture-builder.mjs');
const KERNEL_MJS = path.resolve(import.meta.dirname, '..', '..', 'scripts', 'kernel.mjs');

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
  builder = { script: BUILDER, board: 'hostboard' },
) {
  const events: Ev[] = [];
  const saved = { ...process.env };
  Object.assign(process.env, env);
  return new Promise<{ events: Ev[]; finished: HostEvents['build.finished'] }>(
    (resolve, reject) => {
      const svc = new BuildService({
        projectRoot,
        builderScript: builder.script,
        emit: (name, payload) => {
          events.push({ name, payload } as Ev);
          if (name === 'build.finished')
            resolve({ events, finished: payload as HostEvents['build.finished'] });
        },
      });
      const r = svc.start(builder.board, [builder.board]);
      process.env = saved;
      if (!r.ok) return reject(new Error(r.error.message));
      expect(svc.start(builder.board, [builder.board])).toMatchObject({
        ok: false,
        error: { code: 'build-running' },
      });
      during?.(svc, r.value.buildId);
    },
  );
}

describe('parseArtifactsLine', () => {
  it("reads the builder's artifacts line with project-relative paths, and nothing else", () => {
    const root = '/home/me/kernel';
    const line = JSON.stringify({
      reason: 'capsule-artifacts',
      board: 'microbit-v2',
      machine: 'microbit-v2',
      outDir: `${root}/target/images/microbit-v2`,
      kernelElf: `${root}/target/images/microbit-v2/kernel.elf`,
      apps: [`${root}/target/images/microbit-v2/apps/hello.tbf`],
      appsBin: `${root}/target/images/microbit-v2/apps.bin`,
      imageHex: `${root}/target/images/microbit-v2/image.hex`,
      appsJson: `${root}/target/images/microbit-v2/apps.json`,
    });
    expect(parseArtifactsLine(line, root)).toEqual({
      board: 'microbit-v2',
      machine: 'microbit-v2',
      dir: 'target/images/microbit-v2',
      kernelElf: 'target/images/microbit-v2/kernel.elf',
      apps: ['target/images/microbit-v2/apps/hello.tbf'],
      appsBin: 'target/images/microbit-v2/apps.bin',
      imageHex: 'target/images/microbit-v2/image.hex',
      appsJson: 'target/images/microbit-v2/apps.json',
    });
    expect(parseArtifactsLine('{"reason":"compiler-artifact"}', root)).toBe(null);
    expect(parseArtifactsLine('{"reason":"capsule-artifacts"', root)).toBe(null);
    expect(parseArtifactsLine('{"reason":"capsule-artifacts","board":"x"}', root)).toBe(null);
  });
});

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
    expect(ok.finished).toMatchObject({ status: 'succeeded', errors: 0, board: 'hostboard' });
    expect(ok.events.some((e) => e.name === 'build.progress')).toBe(true);
    // What the build wrote, as the builder's last line said, relative to the project.
    expect(ok.finished.artifacts).toEqual({
      board: 'hostboard',
      machine: null,
      dir: 'target/debug',
      kernelElf: 'target/debug/hostboard',
      apps: [],
      appsBin: null,
      imageHex: null,
      appsJson: null,
    });
    expect(bad.finished.artifacts).toBeUndefined();
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

/**
 * A stand-in rustup toolchain (CARGO_HOME/bin/rustc and cargo) so the real scripts/kernel.mjs
 * runs end to end in a test: its `cargo` records its pid and either prints its arguments or
 * hangs with a child of its own (a `rustc` that holds the output pipe, as the real one does).
 */
function fakeToolchain(): { env: Record<string, string>; pidFile: string } {
  const home = mkdtempSync(path.join(os.tmpdir(), 'capsule-fake-cargo-'));
  const sysroot = path.join(home, 'sysroot');
  const lib = path.join(sysroot, 'lib', 'rustlib', 'thumbv7em-none-eabi', 'lib');
  mkdirSync(lib, { recursive: true });
  writeFileSync(path.join(lib, 'libcore.rlib'), '');
  writeFileSync(path.join(lib, 'libcompiler_builtins.rlib'), '');
  mkdirSync(path.join(home, 'bin'));
  const rustc = path.join(home, 'bin', 'rustc');
  writeFileSync(
    rustc,
    `#!/bin/sh\ncase "$1" in --print) echo "${sysroot}";; *) echo "rustc 1.95.0 (fake)";; esac\n`,
  );
  const cargo = path.join(home, 'bin', 'cargo');
  const pidFile = path.join(home, 'cargo.pid');
  writeFileSync(
    cargo,
    [
      '#!/bin/sh',
      `echo $$ > "${pidFile}"`,
      'if [ "$FAKE_CARGO_MODE" = hang ]; then',
      '  echo "   Compiling fake v0.0.0" >&2',
      `  sleep 30 & echo $! > "${pidFile}.rustc"`,
      '  wait',
      'else',
      '  echo "fake-cargo: $* in $(pwd)"',
      // The "ELF" of every board, where kernel.mjs copies it from (a bin named after its folder).
      '  mkdir -p target/thumbv7em-none-eabi/release',
      '  for d in boards/*/; do : > "target/thumbv7em-none-eabi/release/$(basename "$d")"; done',
      'fi',
      '',
    ].join('\n'),
  );
  chmodSync(rustc, 0o755);
  chmodSync(cargo, 0o755);
  return { env: { CARGO_HOME: home, CAPSULE_FORCE_DEBIAN_RUST: '0' }, pidFile };
}

function kernelProject(board: string, pkg: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'capsule-kernel-'));
  writeFileSync(path.join(dir, 'Cargo.toml'), '[workspace]\n');
  mkdirSync(path.join(dir, 'boards', board), { recursive: true });
  writeFileSync(
    path.join(dir, 'boards', board, 'Cargo.toml'),
    `[package]\nname = "${pkg}"\nversion = "0.1.0"\n`,
  );
  return dir;
}

/** Running (a zombie waiting for a parent that never reaps it counts as gone). */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};

async function waitForFile(file: string): Promise<number> {
  for (let i = 0; i < 200 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 25));
  return Number(readFileSync(file, 'utf8').trim());
}

describe('BuildService with the real scripts/kernel.mjs (issue 12)', () => {
  it('builds a board whose folder is named --project', async () => {
    const tc = fakeToolchain();
    const dir = kernelProject('--project', 'dashboard');
    const { events, finished } = await runBuild(dir, tc.env, undefined, {
      script: KERNEL_MJS,
      board: '--project',
    });
    const out = events.flatMap((e) => (e.name === 'build.output' ? [e.payload.line] : []));
    expect(finished.status, out.join('\n')).toBe('succeeded');
    expect(out.join('\n')).toContain(
      `-p dashboard --message-format=json-diagnostic-rendered-ansi in ${dir}`,
    );
    // JSON mode writes what the command line writes (no apps/ workspace here: the kernel only).
    expect(finished.artifacts).toMatchObject({
      board: '--project',
      machine: null,
      kernelElf: 'target/images/--project/kernel.elf',
      apps: [],
    });
    expect(existsSync(path.join(dir, 'target/images/--project/kernel.elf'))).toBe(true);
  }, 30_000);

  it('kills cargo and everything under it promptly when the builder is killed', async () => {
    const tc = fakeToolchain();
    const dir = kernelProject('board', 'board');
    let killedAt = 0;
    let pids: number[] = [];
    const { finished } = await runBuild(
      dir,
      { ...tc.env, FAKE_CARGO_MODE: 'hang' },
      (svc) => {
        const child = (svc as unknown as { running: { child: { pid: number } } }).running.child;
        void (async () => {
          pids = [await waitForFile(tc.pidFile), await waitForFile(`${tc.pidFile}.rustc`)];
          killedAt = Date.now();
          process.kill(child.pid, 'SIGKILL');
        })();
      },
      { script: KERNEL_MJS, board: 'board' },
    );
    const reportedAfter = Date.now() - killedAt;
    expect(finished.status).toBe('crashed');
    expect(finished.message).toContain('killed midway (SIGKILL)');
    expect(reportedAfter).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(isAlive)).toEqual([]);
  }, 40_000);

  it('reports cargo killed by a signal as killed midway, not as exit code 1', async () => {
    const tc = fakeToolchain();
    const dir = kernelProject('board', 'board');
    let pids: number[] = [];
    const { finished } = await runBuild(
      dir,
      { ...tc.env, FAKE_CARGO_MODE: 'hang' },
      () => {
        void (async () => {
          pids = [await waitForFile(tc.pidFile), await waitForFile(`${tc.pidFile}.rustc`)];
          process.kill(pids[0]!, 'SIGKILL');
        })();
      },
      { script: KERNEL_MJS, board: 'board' },
    );
    expect(finished.status).toBe('crashed');
    expect(finished.message).toContain('killed midway (SIGKILL)');
    expect(finished.message).not.toContain('exited with code');
    await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(isAlive)).toEqual([]);
  }, 40_000);
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
