// The SVD parse off the host's thread: the board's SVD parsed in a worker; a malformed file
// names its line and reason, a missing one keeps its error code; and the Peripherals service parses the board's SVD when the session starts, in the worker, so
// the host's thread stays free (the first stop's step is not held up for the parse's second).
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SvdError } from '../../emulator/peripherals/nrf/svd';
import { PeripheralService, type DebugSeam } from './peripheral-service.js';
import { parseSvdFile } from './peripheral-svd.js';

const APP_ROOT = path.resolve(import.meta.dirname, '..', '..');
const SVD = path.join(APP_ROOT, 'resources/svd/nrf52840.svd');

/** The longest stretch (ms) the host's thread was busy while `f` ran (a 5 ms ticker's gaps). */
async function longestStall(f: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  try {
    await f();
    // A stall shows when the delayed tick finally runs: let it.
    await new Promise((r) => setTimeout(r, 30));
  } finally {
    clearInterval(tick);
  }
  return longest;
}

describe('the SVD parse off the host`s thread', () => {
  it('parses the board`s SVD in a worker into the same device, the host`s thread free', async () => {
    let device: Awaited<ReturnType<typeof parseSvdFile>> | null = null;
    const stall = await longestStall(async () => (device = await parseSvdFile(SVD)));
    const uarte0 = device!.peripherals.find((p) => p.name === 'UARTE0');
    expect(uarte0?.baseAddress).toBe(0x40002000);
    expect(uarte0?.registers.find((r) => r.name === 'ENABLE')?.addressOffset).toBe(0x500);
    expect(device!.peripherals.length).toBeGreaterThan(50);
    // The parse takes over a second (several on a loaded machine); the thread never waited on it
    // (what it does: take the parsed device from the worker).
    expect(stall).toBeLessThan(600);
  }, 60_000);

  it('names the line and reason of a malformed SVD, and keeps a missing file`s error code', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'svd-'));
    const bad = path.join(dir, 'bad.svd');
    writeFileSync(bad, '<device>\n<name>X</name>\n<peripherals>\n</device>\n');
    const e = await parseSvdFile(bad).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SvdError);
    expect((e as SvdError).where).toMatch(/line 4/);
    const missing = await parseSvdFile(path.join(dir, 'none.svd')).catch((x: unknown) => x);
    expect((missing as { code?: string }).code).toBe('ENOENT');
  }, 60_000);

  it('parses the board`s SVD when the session starts, so the first stop finds it ready', async () => {
    let started: ((info: { board: string; phase: string }) => void) | null = null;
    const debug: DebugSeam = {
      target: null,
      program: null,
      session: { board: 'nrf52840dk', phase: 'starting' },
      onStop: () => () => undefined,
      onSession: (l) => {
        started = l;
        return () => undefined;
      },
      addLiveRead: () => () => undefined,
    };
    const service = new PeripheralService({
      projectRoot: APP_ROOT,
      appRoot: APP_ROOT,
      debug,
      emit: () => undefined,
    });
    try {
      const stall = await longestStall(async () => {
        started!(debug.session!);
        // The first stop asks for the description (and the panels' values) meanwhile.
        const d = await service.describe();
        expect(d.ok && d.value.device.name).toBe('nrf52840');
      });
      expect(stall).toBeLessThan(600);
    } finally {
      service.dispose();
    }
  }, 60_000);
});
