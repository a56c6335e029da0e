/**
 * What the cells' occupancy history costs the core, A/B in one thread: the nRF52840-DK kernel
 * with the build's apps runs in this thread (no worker, no host reads) as four sessions booted
 * alike, in lockstep slices of `--instructions`, each slice in one of four configurations: no
 * watches, the recorder's watches on every cell the Cells view finds (one write observer per
 * cell, as TockService sets them up at the first halt), its `clustered` option (cells sharing a
 * 32-byte granule share one), and watches on just the bytes each cell's occupancy is read from
 * (CellsModel.occupancySpans: the Option's discriminant and a MapCell's busy flag).
 *
 * Which session runs which configuration rotates every slice (a Latin square): the kernel's work
 * per slice swings 50x (busy against asleep), so the configurations are compared on the same
 * slices; and sessions booted alike run 10-30 % apart with nothing watched (V8 optimises each
 * session's translated code apart), so each session spends as many slices in each.
 * Before the timed slices, `warm` slices run the same rotation untimed, so that what a
 * session pays once per configuration (its translator's first compiles of the observed blocks'
 * checked paths) is not counted as the watches' steady cost: on the quiet machine bench:tock's
 * 20-slice line, with no such warm-up, printed 35 / 35 / 19 % where 60 slices gave 8-12 %.
 * Prints instructions per CPU second of each (total instructions over total CPU) and the costs.
 *
 * `npx tsx tests/bench/tock-history-ab.ts --slices 40 --instructions 2000000 --warm 8`; part
 * of `npm run bench:tock` (after the worker figures).
 */
import { ok } from '../../emulator/core/result';
import { CellsModel } from '../../emulator/debug/tock/cells';
import { TockRecorder } from '../../emulator/debug/tock/recorder';
import { DebugInfo } from '../../emulator/formats/dwarf/index';
import { threadCpuMs } from './cpu-time';
import { bootTockSession, NRF_DIR, tockImage } from './tock-image';

const MODES = ['off', 'on', 'clustered', 'occupancy'] as const;
type Mode = (typeof MODES)[number];

export async function historyAb(
  dir: string,
  slices: number,
  instructions: number,
  warm = 8,
): Promise<{
  off: number;
  on: number;
  clustered: number;
  occupancy: number;
  slices: number;
  warm: number;
  cells: number;
  records: number;
  occupancyRecords: number;
}> {
  const img = tockImage(dir);
  // Boot and warm up (the translator compiles the hot code), then find the cells.
  const sessions = MODES.map(() => bootTockSession(img, instructions));
  const first = sessions[0]!;
  const info = DebugInfo.load(img.elf, { name: 'kernel' });
  if (!info.ok) throw new Error(info.error);
  const model = CellsModel.fromDebugInfo(info.value);
  if (!model.ok) throw new Error(model.error);
  const mem = async (a: number, n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = first.core.readMemory((a + i) >>> 0, 1);
    return ok(b);
  };
  const cells = await model.value.read(mem);
  if (!cells.ok) throw new Error(cells.error);
  const whole = cells.value.cells.map((c, id) => ({
    id,
    address: c.address,
    length: model.value.cellSize(c.address) ?? 4,
  }));
  const spans = cells.value.cells.flatMap((c, id) =>
    (model.value.occupancySpans(c.address) ?? [{ address: c.address, length: 4 }]).map((x) => ({
      id,
      ...x,
    })),
  );
  const recorders = sessions.map((s) => new TockRecorder({ core: s.core, dma: [] }));
  const cpu: Record<Mode, number> = { off: 0, on: 0, clustered: 0, occupancy: 0 };
  const stored: Record<Mode, number> = { off: 0, on: 0, clustered: 0, occupancy: 0 };
  for (let i = -warm; i < slices; i++) {
    for (let j = 0; j < sessions.length; j++) {
      const round = i + warm;
      const k = round % 2 === 0 ? j : sessions.length - 1 - j;
      const mode = MODES[(k + round) % MODES.length]!;
      const recorder = recorders[k]!;
      const before = recorder.watch(
        mode === 'off' ? [] : mode === 'occupancy' ? spans : whole,
        mode === 'clustered',
      );
      const c0 = threadCpuMs();
      const r = sessions[k]!.runSlice({ instructions });
      const ms = threadCpuMs() - c0;
      if (r.kind !== 'limit') throw new Error(`emulator stopped: ${JSON.stringify(r)}`);
      const n = recorder.watch([]) - before;
      if (i < 0) continue;
      cpu[mode] += ms;
      stored[mode] += n;
    }
  }
  const rate = (m: Mode): number => (slices * instructions) / cpu[m] / 1000;
  return {
    off: rate('off'),
    on: rate('on'),
    clustered: rate('clustered'),
    occupancy: rate('occupancy'),
    slices,
    warm,
    cells: whole.length,
    records: stored.on,
    occupancyRecords: stored.occupancy,
  };
}

/** The A/B's line: each configuration's M instructions per CPU second and its cost. */
export function abLine(r: Awaited<ReturnType<typeof historyAb>>): string {
  const cost = (x: number): string => `${(((r.off - x) / r.off) * 100).toFixed(1)}%`;
  return `Cell history in-process, Latin square of 4 sessions x 4 configurations over ${r.slices} slices (after ${r.warm} untimed) (${r.cells} cells watched, ${r.records} stores recorded): off ${r.off.toFixed(2)}, on (one observer per cell) ${r.on.toFixed(2)} (cost ${cost(r.on)}), cells sharing a granule clustered ${r.clustered.toFixed(2)} (cost ${cost(r.clustered)}), occupancy bytes only ${r.occupancy.toFixed(2)} (cost ${cost(r.occupancy)}, ${r.occupancyRecords} stores recorded) M instr per CPU s`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const dir = NRF_DIR;
  const r = await historyAb(
    dir,
    arg('--slices', 40),
    arg('--instructions', 2_000_000),
    arg('--warm', 8),
  );
  console.log(abLine(r));
}
