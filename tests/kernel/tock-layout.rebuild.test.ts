/**
 * The Tock views survive a change of the kernel's layouts: every path they read is resolved by
 * type and field name in the DWARF, never by an offset. The kernel workspace is copied to a temp
 * dir, a `u64` and a `[u8; 3]` are inserted before the fields the views read in the console
 * capsule's struct (`capsules::console::Console`) and in the process struct
 * (`kernel::process::Process`), and the copy is rebuilt. Both builds boot on the emulated
 * nRF52840-DK to the same point (the console capsule's `command` for hello's first write); the
 * Processes, Cells (with grants) and DMA views then read the same values, while the offsets of
 * the fields they read did move (else the test would prove nothing).
 *
 * Two kernel builds (about a minute each on a loaded 2-core machine): its own script,
 * `npm run test:tock-layout`, not in `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runToStop, unwrap } from '../../emulator/debug/testing/target-helpers';
import { DebugInfo } from '../../emulator/formats/dwarf/index';
import { parseElf } from '../../emulator/formats/elf';
import { TockService } from '../../main/host/tock-service';
import type { TockCellsView, TockDmaView, TockProcessesView } from '../../main/common/tock-views';
import { buildBoard, type KernelImage } from './global-setup';
import { emulatedBoard } from './emulated-board';

const ROOT = path.resolve(__dirname, '..', '..');
const BOARD = 'nrf52840dk';
const PROBE = ['_layout_probe_a: u64,', '_layout_probe_b: [u8; 3],'];
const PROBE_INIT = ['_layout_probe_a: 0,', '_layout_probe_b: [0; 3],'];

/** Inserts the probe fields after `struct` and their values after the constructor `literal`. */
function insertProbe(file: string, struct: string, literal: string): void {
  let src = readFileSync(file, 'utf8');
  for (const [at, lines] of [
    [struct, PROBE],
    [literal, PROBE_INIT],
  ] as const) {
    const i = src.indexOf(at);
    if (i < 0) throw new Error(`${at} not found in ${file}: the layout test needs updating`);
    const end = i + at.length;
    src = `${src.slice(0, end)}\n${lines.map((l) => `    ${l}`).join('\n')}${src.slice(end)}`;
  }
  writeFileSync(file, src);
}

interface Reading {
  processes: TockProcessesView;
  cells: TockCellsView;
  dma: TockDmaView;
  info: DebugInfo;
}

/** Boots a build to the console capsule's first `command` and reads the views there. */
async function readAtCommand(image: KernelImage): Promise<Reading> {
  const kernel = new Uint8Array(readFileSync(image.kernelElf));
  const manifest = JSON.parse(readFileSync(path.join(image.dir, 'apps.json'), 'utf8')) as {
    appsStart: number;
  };
  const board = emulatedBoard(
    {
      board: BOARD,
      kernelElf: image.kernelElf,
      appsBin: image.appsBin,
      dir: image.dir,
      manifest,
    } as Parameters<typeof emulatedBoard>[0],
    kernel,
  );
  const target = board.target;
  try {
    const command = parseElf(kernel).symbols.find(
      (s) =>
        /capsules\.\.console\.\.Console.*SyscallDriver.*7command/.test(s.name) && s.value !== 0,
    );
    if (!command) throw new Error(`no console command symbol in ${image.kernelElf}`);
    unwrap(await target.setBreakpoint(command.value & ~1));
    await runToStop(target, 200_000);
    const stop = {};
    const service = new TockService(() => ({
      target,
      kernel: { name: 'kernel.elf', bytes: kernel },
      halted: true,
      stop,
    }));
    return {
      processes: unwrap(await service.processes()),
      cells: unwrap(await service.cells()),
      dma: unwrap(await service.dma()),
      info: unwrap(DebugInfo.load(kernel, { name: 'kernel.elf' })),
    };
  } finally {
    await target.close();
  }
}

/** The views' values that do not depend on where the kernel's own statics landed. */
function comparable(r: Reading) {
  const hello = r.processes.processes.find((p) => p.name === 'hello');
  return {
    processes: r.processes.processes.map((p) => ({
      slot: p.slot,
      id: p.id,
      name: p.name,
      policy: p.policy,
      memory: p.memory,
      mpu: p.mpu,
      grants: p.grants.map((g) => ({ ...g, path: g.path })),
    })),
    hello: hello && {
      state: hello.state,
      syscalls: hello.syscalls,
      restarts: hello.restarts,
      lastSyscall: hello.lastSyscall,
      subscriptions: hello.subscriptions,
      allows: hello.allows,
      upcalls: hello.upcalls,
      onCpu: hello.onCpu,
    },
    notes: r.processes.notes,
    cells: r.cells.cells
      .map((c) => ({
        path: c.path,
        kind: c.kind,
        owner: c.owner,
        field: c.field,
        heldType: c.heldType,
        occupancy: c.occupancy,
        length: c.held?.length ?? null,
      }))
      .sort((a, b) => a.path.localeCompare(b.path)),
    dma: r.dma.channels.map((c) => ({
      peripheral: c.peripheral,
      channel: c.channel,
      state: c.state,
      maxcnt: c.maxcnt,
      amount: c.amount,
      owners: c.owners,
      preview: c.preview,
      problems: c.problems,
    })),
  };
}

describe('Tock views over a rebuilt kernel with moved fields (emulated nRF52840-DK)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tock-layout-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('read the same processes, cells, grants and DMA after fields are added', async () => {
    // The build as it is, then the copy with the probe fields.
    const before = buildBoard(ROOT, BOARD);
    expect(before.problem ?? null).toBeNull();
    // The kernel workspace without its build and without the apps (their own workspace,
    // untouched: both kernels run the same apps.bin).
    const kernelDir = path.join(ROOT, 'kernel');
    const copy = path.join(tmp, 'kernel');
    cpSync(kernelDir, copy, {
      recursive: true,
      filter: (src) => !/^(target|apps)(\/|$)/.test(path.relative(kernelDir, src)),
    });
    insertProbe(
      path.join(copy, 'capsules/src/console.rs'),
      "pub struct Console<'a> {",
      '        Console {',
    );
    insertProbe(
      path.join(copy, 'kernel/src/process.rs'),
      'pub struct Process {',
      '        Process {',
    );
    const built = spawnSync(
      process.execPath,
      ['scripts/kernel.mjs', 'build', '--board', BOARD, '--project', copy],
      { cwd: ROOT, encoding: 'utf8', timeout: 600_000 },
    );
    expect(built.status, `${built.stdout}\n${built.stderr}`.slice(-3000)).toBe(0);
    const after: KernelImage = {
      ...before,
      kernelElf: path.join(copy, 'target', 'images', BOARD, 'kernel.elf'),
    };

    const a = await readAtCommand(before);
    const b = await readAtCommand(after);

    // The fields the views read moved (rustc reorders; at least one offset per struct changed).
    const offsets = (info: DebugInfo, type: string, fields: string[]) =>
      fields.map((f) => {
        const r = info.fieldOffset(type, f);
        return r.ok ? r.value.offset : null;
      });
    const processFields = ['state', 'stopped', 'layout', 'stored', 'grants', 'syscalls', 'name'];
    const consoleFields = ['buffer', 'current', 'apps', 'uart'];
    const pa = offsets(a.info, 'kernel::process::Process', processFields);
    const pb = offsets(b.info, 'kernel::process::Process', processFields);
    const ca = offsets(a.info, 'capsules::console::Console', consoleFields);
    const cb = offsets(b.info, 'capsules::console::Console', consoleFields);
    expect(pa.every((o) => o !== null) && pb.every((o) => o !== null)).toBe(true);
    expect(pb, 'process struct offsets moved').not.toEqual(pa);
    expect(cb, 'console struct offsets moved').not.toEqual(ca);
    expect(b.info.findType('kernel::process::Process')!.size).toBeGreaterThan(
      a.info.findType('kernel::process::Process')!.size,
    );

    // Same point, same values.
    const va = comparable(a);
    const vb = comparable(b);
    expect(va.processes.length).toBeGreaterThanOrEqual(5);
    expect(va.hello?.state).toMatch(/Running|Yielded/);
    expect(
      va.cells.find((c) => c.owner === 'capsules::console::Console' && c.field === 'buffer'),
    ).toMatchObject({ kind: 'TakeCell', occupancy: 'present', length: 128 });
    expect(vb).toEqual(va);
  }, 900_000);
});
