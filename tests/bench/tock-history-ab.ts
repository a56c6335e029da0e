/**
 * What the cells' occupancy history costs the core, A/B in one process: the nRF52840-DK kernel
 * with the build's apps runs in this thread (no worker, no host reads), in slices of
 * `--instructions` rotating between no watches, the recorder's watches on every cell the Cells
 * view finds (as TockService sets them up at the first halt: one write observer per cell) and
 * its `clustered` option (cells sharing a 32-byte granule share one), so a loaded machine
 * slows all alike.
 * Prints instructions per CPU second of each (median) and the costs.
 *
 * `npx tsx tests/bench/tock-history-ab.ts --slices 40 --instructions 2000000`; part of
 * `npm run bench:tock` (after the worker figures).
 */
import { ok } from '../../emulator/core/result';
import { CellsModel } from '../../emulator/debug/tock/cells';
import { TockRecorder } from '../../emulator/debug/tock/recorder';
import { DebugInfo } from '../../emulator/formats/dwarf/index';
import { median } from './cpu-time';
import { bootTockSession, NRF_DIR, tockImage } from './tock-image';

export async function historyAb(
  dir: string,
  slices: number,
  instructions: number,
): Promise<{ off: number; on: number; clustered: number; cells: number; records: number }> {
  const img = tockImage(dir);
  const elf = img.elf;
  // Boot and warm up (the translator compiles the hot code), then find the cells.
  const session = bootTockSession(img, instructions);
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
  // Three configurations in turn, slice by slice: no watches, the recorder's watches (one
  // observer per cell), and its `clustered` option (cells sharing a granule share one).
  const modes = ['off', 'on', 'clustered'] as const;
  const perCpu = { off: [] as number[], on: [] as number[], clustered: [] as number[] };
  let records = 0;
  for (let i = 0; i < slices * modes.length; i++) {
    const mode = modes[i % modes.length]!;
    const before = recorder.watch(mode === 'off' ? [] : watches, mode === 'clustered');
    const u0 = process.cpuUsage();
    const r = session.runSlice({ instructions });
    const u = process.cpuUsage(u0);
    if (r.kind !== 'limit') throw new Error(`emulator stopped: ${JSON.stringify(r)}`);
    if (mode === 'on') records += recorder.watch([]) - before;
    perCpu[mode].push(instructions / ((u.user + u.system) / 1e6) / 1e6);
  }
  return {
    off: median(perCpu.off),
    on: median(perCpu.on),
    clustered: median(perCpu.clustered),
    cells: watches.length,
    records,
  };
}

/** The A/B's line: each configuration's M instructions per CPU second and its cost. */
export function abLine(r: Awaited<ReturnType<typeof historyAb>>): string {
  const cost = (x: number): string => `${(((r.off - x) / r.off) * 100).toFixed(1)}%`;
  return `Cell history A/B in-process (${r.cells} cells watched, ${r.records} stores recorded): off ${r.off.toFixed(2)}, on (one observer per cell) ${r.on.toFixed(2)} (cost ${cost(r.on)}), cells sharing a granule clustered ${r.clustered.toFixed(2)} (cost ${cost(r.clustered)}) M instr per CPU s`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const dir = NRF_DIR;
  const r = await historyAb(dir, arg('--slices', 40), arg('--instructions', 2_000_000));
  console.log(abLine(r));
}
