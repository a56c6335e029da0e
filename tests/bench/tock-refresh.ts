/**
 * `npx tsx tests/bench/tock-refresh.ts`: what one live refresh of the Tock cells costs the host,
 * and how many trips to the emulator worker it makes.
 *
 * Why: the views read the cells ten times a second while the emulator runs (the editor
 * decorations, the Cells panel); bench:tock found them reaching far fewer reads per second at
 * load. This splits a refresh's cost: the host thread's CPU per refresh (this thread only, from
 * /proc/thread-self/schedstat, so the worker's emulation is not charged), and the messages it
 * posts to the worker (the proxy's `posted`: calls made in one turn leave as one batch), with
 * the rate reached when the refreshes run back to back against the running kernel.
 *
 * Needs the nRF52840-DK image (`node scripts/kernel.mjs build --board nrf52840dk`).
 *
 * @example
 *   npx tsx tests/bench/tock-refresh.ts --seconds 5
 */
import { performance } from 'node:perf_hooks';
import { threadCpuMs } from './cpu-time';
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
await phase('halted', SECONDS * 1000);
await target.resume();
await sleep(300);
await phase('running', SECONDS * 1000);
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
