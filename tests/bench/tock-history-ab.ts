/**
 * What the cells' occupancy history costs the core, A/B in one process: the nRF52840-DK kernel
 * with the build's apps runs in this thread (no worker, no host reads), in slices of
 * `--instructions` alternating between no watches and a write observer on every cell the
 * Cells view finds (as TockService sets them up at the first halt), so a loaded machine slows
 * both alike. Prints instructions per CPU second of each (median) and the cost.
 *
 * `npx tsx tests/bench/tock-history-ab.ts --slices 40 --instructions 2000000`; part of
 * `npm run bench:tock` (after the worker figures).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ok } from '../../emulator/core/result';
import { CellsModel } from '../../emulator/debug/tock/cells';
import { TockRecorder } from '../../emulator/debug/tock/recorder';
import { DebugInfo } from '../../emulator/formats/dwarf/index';
import { createSession } from '../../emulator/session/session';
import { median } from './cpu-time';

export async function historyAb(
  dir: string,
  slices: number,
  instructions: number,
): Promise<{ off: number; on: number; cells: number; records: number }> {
  const elf = new Uint8Array(readFileSync(path.join(dir, 'kernel.elf')));
  const manifest = JSON.parse(readFileSync(path.join(dir, 'apps.json'), 'utf8')) as {
    appsStart: number;
  };
  const s = createSession({ machine: 'nrf52840dk' });
  if (!s.ok) throw new Error(s.error);
  const session = s.value;
  const loaded = session.loadFiles([
    { name: 'kernel.elf', bytes: elf },
    {
      name: 'apps.bin',
      bytes: new Uint8Array(readFileSync(path.join(dir, 'apps.bin'))),
      address: manifest.appsStart,
    },
  ]);
  if (!loaded.ok) throw new Error(loaded.error);
  // Boot and warm up (the translator compiles the hot code), then find the cells.
  for (let i = 0; i < 10; i++) session.runSlice({ instructions });
  const info = DebugInfo.load(elf, { name: 'kernel' });
  if (!info.ok) throw new Error(info.error);
  const model = CellsModel.fromDebugInfo(info.value);
  if (!model.ok) throw new Error(model.error);
  const mem = async (a: number, n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = session.core.readMemory((a + i) >>> 0, 1);
    return ok(b);
  };
  const cells = await model.value.read(mem);
  if (!cells.ok) throw new Error(cells.error);
  const watches = cells.value.cells.map((c, id) => ({
    id,
    address: c.address,
    length: model.value.cellSize(c.address) ?? 4,
  }));
  const recorder = new TockRecorder({ core: session.core, dma: [] });
  const perCpu = { off: [] as number[], on: [] as number[] };
  let records = 0;
  for (let i = 0; i < slices * 2; i++) {
    const on = i % 2 === 1;
    const before = recorder.watch(on ? watches : []);
    const u0 = process.cpuUsage();
    const r = session.runSlice({ instructions });
    const u = process.cpuUsage(u0);
    if (r.kind !== 'limit') throw new Error(`emulator stopped: ${JSON.stringify(r)}`);
    if (on) records += recorder.watch([]) - before;
    (on ? perCpu.on : perCpu.off).push(instructions / ((u.user + u.system) / 1e6) / 1e6);
  }
  return { off: median(perCpu.off), on: median(perCpu.on), cells: watches.length, records };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const dir = path.resolve(import.meta.dirname, '..', '..', 'kernel/target/images/nrf52840dk');
  const r = await historyAb(dir, arg('--slices', 40), arg('--instructions', 2_000_000));
  console.log(
    `Cell history A/B (in-process, ${r.cells} cells watched, ${r.records} stores recorded): off ${r.off.toFixed(2)}, on ${r.on.toFixed(2)} M instr per CPU s, cost ${(((r.off - r.on) / r.off) * 100).toFixed(1)}%`,
  );
}
