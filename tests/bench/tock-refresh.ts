/**
 * `npx tsx tests/bench/tock-refresh.ts`: what one live refresh of the Tock cells costs the host,
 * and how many trips to the emulator worker it makes.
 *
 * Why: the views read the cells ten times a second while the emulator runs (the editor
 * decorations, the Cells panel); bench:tock found them reaching far fewer reads per second at
 * load. This splits a refresh's cost: the host thread's CPU per refresh (this thread only, from
 * /proc/thread-self/schedstat, so the worker's emulation is not charged), and the messages it
 * posts to the worker (the proxy's `posted`: calls made in one turn leave as one batch), with
 * the rate reached when the refreshes run back to back against the running kernel. First, what
 * a stop's reading costs: the full walk against `CellsModel.atStop`.
 *
 * Needs the nRF52840-DK image (`node scripts/kernel.mjs build --board nrf52840dk`).
 *
 * @example
 *   npx tsx tests/bench/tock-refresh.ts --seconds 5
 */
import { performance } from 'node:perf_hooks';
import { ANCHOR_SYMBOL, CellsModel } from '../../emulator/debug/tock/cells';
import { cachedMemory, DebugInfo } from '../../emulator/formats/dwarf/index';
import { median, threadCpuMs } from './cpu-time';
import { builtTockImage, startTockWorker } from './tock-image';
import { positiveArg } from './args';

const SECONDS = positiveArg('--seconds', 5);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const { target, tock } = await startTockWorker(builtTockImage());
// Run until the kernel has set its capsules up: the full walk at a halt finds the cells (and
// starts their occupancy history).
let cells = 0;
for (let tries = 0; cells === 0; tries++) {
  if (tries === 60) throw new Error('no cells found in 60 halts: is the kernel running?');
  await target.resume();
  await sleep(500);
  const h = await target.halt();
  if (!h.ok) throw new Error(h.error);
  tock.targetWritten(); // a new stop: walk afresh
  const first = await tock.cells();
  if (!first.ok) throw new Error(first.error);
  cells = first.value.cells.length;
}

async function phase(
  label: string,
  ms: number,
): Promise<{ n: number; cpuMs: number; trips: number; wallMs: number }> {
  const t0 = performance.now();
  const c0 = threadCpuMs();
  const p0 = target.posted;
  let n = 0;
  while (performance.now() - t0 < ms) {
    const r = await tock.cells(true);
    if (!r.ok) throw new Error(r.error);
    n++;
  }
  const out = {
    n,
    cpuMs: threadCpuMs() - c0,
    trips: target.posted - p0,
    wallMs: performance.now() - t0,
  };
  console.log(
    `${label.padEnd(8)} ${String(out.n).padStart(5)} refreshes: host CPU ${(out.cpuMs / n).toFixed(2)} ms/refresh, ` +
      `${(out.trips / n).toFixed(1)} trips/refresh, ${((n * 1000) / out.wallMs).toFixed(1)} refreshes/s back to back`,
  );
  return out;
}

console.log(`Tock live cells refresh: ${cells} cells, ${SECONDS} s per phase`);
// What a stop's reading costs: the full walk from the anchor (each new stop, as before) against
// `atStop` (one read per span of the words the walk followed and the cells', the walk again only
// when one of them changed), each on a new stop's pages (the proxy forgets them at a write, as
// at a step: an empty write at the anchor's first byte is one).
{
  const image = builtTockImage();
  const info = DebugInfo.load(image.elf, { name: 'kernel' });
  if (!info.ok) throw new Error(info.error);
  const model = CellsModel.fromDebugInfo(info.value);
  if (!model.ok) throw new Error(model.error);
  const anchor = info.value.findStatic(ANCHOR_SYMBOL)[0]!.address;
  const first = await target.readMemory(anchor, 1);
  if (!first.ok) throw new Error(first.error);
  const newStop = () => target.writeMemory(anchor, first.value);
  for (const [label, read] of [
    ['full walk', () => model.value.read(cachedMemory((a, n) => target.readMemory(a, n)))],
    ['atStop', () => model.value.atStop((a, n) => target.readMemory(a, n))],
    // What the host does at each stop while the cells show (the history's re-sync included).
    [
      'service',
      () => {
        tock.targetWritten();
        return tock.cells();
      },
    ],
  ] as const) {
    const cpu: number[] = [];
    const trips: number[] = [];
    for (let i = 0; i < 30; i++) {
      await newStop();
      const c0 = threadCpuMs();
      const p0 = target.posted;
      const r = await read();
      if (!r.ok) throw new Error(r.error);
      cpu.push(threadCpuMs() - c0);
      trips.push(target.posted - p0);
    }
    console.log(
      `stop ${label.padEnd(9)}: host CPU ${median(cpu).toFixed(2)} ms (median of 30 stops), ${median(trips)} trips`,
    );
  }
}
await phase('halted', SECONDS * 1000);
await target.resume();
await sleep(300);
await phase('running', SECONDS * 1000);
// The cells' words while running, alternating: one read per 64-byte line (what a refresh read
// before) against one per span of neighbouring cells; the calls in each trip, the wall time of
// a refresh (its trip), the host's CPU.
{
  const image = builtTockImage();
  const info = DebugInfo.load(image.elf, { name: 'kernel' });
  if (!info.ok) throw new Error(info.error);
  const model = CellsModel.fromDebugInfo(info.value);
  if (!model.ok) throw new Error(model.error);
  await target.halt();
  if (!(await model.value.read(cachedMemory((a, n) => target.readMemory(a, n)))).ok)
    throw new Error('no walk');
  await target.resume();
  const arm = () => ({ wall: [] as number[], cpu: [] as number[], calls: 0, n: 0 });
  const all = { lines: arm(), spans: arm() };
  const t0 = performance.now();
  for (let i = 0; performance.now() - t0 < SECONDS * 1000; i++) {
    const by = i % 2 === 0 ? all.lines : all.spans;
    const counted = (a: number, n: number) => {
      by.calls++;
      return target.readMemory(a, n);
    };
    const w0 = performance.now();
    const c0 = threadCpuMs();
    const r = await model.value.refresh(i % 2 === 0 ? cachedMemory(counted) : counted);
    if (!r.ok) throw new Error(r.error);
    by.cpu.push(threadCpuMs() - c0);
    by.wall.push(performance.now() - w0);
    by.n++;
  }
  for (const [label, a] of Object.entries(all))
    console.log(
      `running refresh by ${label.padEnd(5)}: ${(a.calls / a.n).toFixed(1)} reads/refresh, ${median(a.wall).toFixed(1)} ms wall, host CPU ${median(a.cpu).toFixed(2)} ms (medians of ${a.n})`,
    );
}
// One bare trip (a 4-byte read) while running, for scale: a refresh cannot beat its trips.
{
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    await target.readMemory(0x20000000, 4);
    n++;
  }
  console.log(`bare trip while running: ${((performance.now() - t0) / n).toFixed(1)} ms wall`);
  for (const req of [
    { op: 'dma' },
    { op: 'fetch', since: Number.MAX_SAFE_INTEGER, max: 0 },
  ] as const) {
    const t1 = performance.now();
    await target.recorder!(req);
    console.log(`${req.op} while running: ${(performance.now() - t1).toFixed(1)} ms wall`);
  }
}
await target.close();
