/**
 * "New capsule..." makes a kernel that builds and an app that talks to the new capsule: on a
 * temporary copy of the kernel workspace, the host's capsule service writes two capsules (one
 * plain, one with the split-phase HIL client), wires them into the driver table and every
 * board, and writes their apps; `kernel.mjs build` then builds the kernel and every app for
 * nrf52840dk and mps2-an386, and each board boots hello plus the two new apps: the apps print
 * what their capsules answered (the split-phase one after its upcall), in Capsule Studio's
 * emulator and in QEMU.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapsuleService } from '../../main/host/capsule';
import { bootBoard, kernelPanics, type QemuRun } from './qemu';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
let project: string;
const runs: QemuRun[] = [];

beforeAll(async () => {
  project = mkdtempSync(path.join(tmpdir(), 'capsule-new-'));
  cpSync(path.join(ROOT, 'kernel'), project, {
    recursive: true,
    filter: (src) => !/[\\/]target$/.test(src),
  });
  const service = new CapsuleService(project);
  for (const [name, driverNumber, hil] of [
    ['plain_value', 0x90000, false],
    ['blink_request', 0x90001, true],
  ] as const) {
    const r = await service.create({ name, driverNumber, hil });
    if (!r.ok) throw new Error(r.error.message);
  }
});

afterAll(async () => {
  await Promise.all(runs.map((r) => r.stop()));
  if (project) rmSync(project, { recursive: true, force: true });
});

async function buildAndBoot(board: string): Promise<string> {
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'scripts', 'kernel.mjs'), 'build', '--board', board, '--project', project],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  // No warning from the generated capsule or apps (the kernel builds warning-free).
  expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/warning[:[]/);
  const dir = path.join(project, 'target', 'images', board);
  // The kernel runs 8 processes: the new apps boot in an image of their own, as the New
  // capsule dialog tells a person to make it.
  const composed = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'scripts', 'apps.mjs'),
      'compose',
      '--board',
      board,
      '--apps',
      'hello,plain_value,blink_request',
      '--project',
      project,
    ],
    { encoding: 'utf8' },
  );
  expect(composed.status, composed.stderr).toBe(0);
  const appsBin = composed.stdout.split('\n')[0]!;
  expect(composed.stdout).toContain(`run it: npm run emulator -- --machine`);
  const run = bootBoard(board, {
    kernelElf: path.join(dir, 'kernel.elf'),
    appsBin,
    pace: 'fast',
  });
  runs.push(run);
  await run.waitFor(/plain_value: the capsule remembered 42\n/, 60_000);
  await run.waitFor(/blink_request: request done \(status 0, value 42\)\n/, 60_000);
  const out = run.output();
  await run.stop();
  return out;
}

describe('a capsule from the New capsule template', () => {
  it('builds and answers its app on nrf52840dk (emulator)', async () => {
    const out = await buildAndBoot('nrf52840dk');
    expect(out).toContain("[kernel] loaded process 'plain_value'");
    expect(out).toContain('blink_request: the capsule remembered 42');
    expect(kernelPanics(out)).toEqual([]);
  }, 240_000);

  it('builds and answers its app on mps2-an386 (QEMU)', async () => {
    const out = await buildAndBoot('mps2-an386');
    expect(kernelPanics(out)).toEqual([]);
  }, 240_000);
});
