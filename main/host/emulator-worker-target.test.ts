/**
 * The emulator worker as a DebugTarget: calls and events cross the thread boundary (memory and
 * console bytes arrive as Uint8Arrays), the machine runs while the host thread is blocked (so it
 * runs on its own thread), a bad image is refused with the session's message, and a worker that
 * dies (uncaught error, exit, out of memory) ends only its own session with a `closed` event
 * naming the cause while another worker's session carries on. A spare worker (started ahead,
 * its modules loaded) serves the spec it is given later, once, and can be ended unused.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorTargetSpec } from '../../emulator/debug/emulator-target';
import type { TargetProxy } from '../../emulator/debug/target-rpc';
import { nextEvent, unwrap } from '../../emulator/debug/testing/target-helpers';
import { buildElf } from '../../tests/programs/elf';
import {
  prepareEmulatorWorker,
  startEmulatorWorker,
  type WorkerOptions,
} from './emulator-worker-target';

const DYING = fileURLToPath(
  new URL('../../tests/fixtures/dying-emulator-worker.ts', import.meta.url),
);

const SOURCE = [
  '.syntax unified',
  '.thumb',
  '.section .vectors, "a"',
  '.word 0x20010000',
  '.word start',
  '.text',
  '.thumb_func',
  'start:',
  'ldr r0, =0x40004000',
  'movs r1, #1',
  'str r1, [r0, #8]', // UART0 TX on
  'movs r1, #0x2a',
  'str r1, [r0]', // '*'
  'ldr r0, =var',
  'movs r1, #0',
  'loop: adds r1, #1',
  'str r1, [r0]',
  'b loop',
  '.ltorg',
  '.data',
  'var: .word 0',
  '',
].join('\n');

const started: TargetProxy[] = [];
afterEach(async () => {
  for (const t of started.splice(0)) await t.close();
});

async function start(
  options: WorkerOptions = {},
  spec?: Partial<EmulatorTargetSpec>,
): Promise<TargetProxy> {
  const { bytes } = buildElf('worker-count', SOURCE);
  const r = await startEmulatorWorker(
    { machine: 'mps2-an386', files: [{ name: 'count.elf', bytes }], ...spec },
    options,
  );
  if (!r.ok) throw new Error(r.error);
  started.push(r.value);
  return r.value;
}

describe('emulator worker target', () => {
  // One worker serves the first tests and stands by while others die (starting one costs a
  // second or two: the worker compiles the emulator).
  let shared: TargetProxy;
  beforeAll(async () => {
    const { bytes } = buildElf('worker-count', SOURCE);
    const r = await startEmulatorWorker({
      machine: 'mps2-an386',
      files: [{ name: 'count.elf', bytes }],
    });
    if (!r.ok) throw new Error(r.error);
    shared = r.value;
  });
  afterAll(async () => {
    await shared?.close();
  });

  it('serves the DebugTarget across the thread with bytes as bytes', async () => {
    const t = shared;
    expect(t.description.kind).toBe('emulator');
    expect(t.state()).toBe('halted');
    expect(typeof t.saveSnapshot).toBe('function');
    expect(t.monitor).toBeUndefined(); // the emulator target has no monitor commands
    const out = nextEvent(t, 'console');
    unwrap(await t.resume());
    const c = await out;
    expect(c.bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(c.bytes)).toEqual([0x2a]);
    const h = unwrap(await t.halt());
    expect(h.cause).toEqual({ kind: 'halted' });
    const mem = unwrap(await t.readMemory(0x20000000, 4));
    expect(mem).toBeInstanceOf(Uint8Array);
    // The counter in memory trails r1 by the store in between.
    const r1 = unwrap(await t.readRegister('r1'));
    expect(r1 - new DataView(mem.buffer).getUint32(0, true)).toBeLessThanOrEqual(1);
    expect(r1).toBeGreaterThan(0);
    const data = Uint8Array.of(1, 2, 3, 4);
    unwrap(await t.writeMemory(0x20000100, data));
    expect(Array.from(data)).toEqual([1, 2, 3, 4]); // the caller's array is not detached
    expect(Array.from(unwrap(await t.readMemory(0x20000100, 4)))).toEqual([1, 2, 3, 4]);
    const bad = await t.readMemory(0x60000000, 4);
    expect(bad.ok).toBe(false);
  });

  it('runs on its own thread: the machine advances while the host thread is blocked', async () => {
    const t = shared;
    unwrap(await t.resume());
    const before = unwrap(await t.readRegister('r1'));
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      // the host thread is busy: an in-thread emulator could not run now
    }
    const after = unwrap(await t.readRegister('r1'));
    // A loop iteration is three instructions; 100k iterations is far below any host's speed.
    expect(after - before).toBeGreaterThan(100_000);
  });

  it('refuses an image the session refuses, with its message', async () => {
    const r = await startEmulatorWorker({
      machine: 'mps2-an386',
      files: [
        { name: 'junk.elf', bytes: Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1, 2, 3), format: 'elf' },
      ],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/junk\.elf/);
    const m = await startEmulatorWorker({ machine: 'pdp11', files: [] });
    expect(!m.ok && m.error).toMatch(/unknown machine 'pdp11'/);
    // Two fresh workers, each compiling the emulator's sources through tsx before it answers:
    // a few seconds quiet, past the default 30 s at load 20 on 2 cores (the time is start-up
    // only; nothing here waits on a delay).
  }, 120_000);

  for (const [command, cause] of [
    ['crash', /the emulator worker crashed: simulated emulator bug/],
    ['exit', /the emulator worker exited unexpectedly \(exit code 3\)/],
    ['oom', /the emulator worker ran out of memory \(its limit is 64 MB\)/],
  ] as const) {
    it(`ends only its own session when the worker dies (${command})`, async () => {
      const other = shared;
      if (other.state() === 'halted') unwrap(await other.resume());
      const dying = await start({
        workerScript: DYING,
        resourceLimits: { maxOldGenerationSizeMb: 64 },
      });
      // A call still waiting when the worker dies gets the cause as its error (the range
      // holds the whole program, so this step never ends by itself).
      const waiting = dying.stepRange(0, 0x1000_0000);
      const closed = nextEvent(dying, 'closed');
      await dying.monitor!(command);
      const { reason } = await closed;
      expect(reason).toMatch(cause);
      const w = await waiting;
      expect(!w.ok && w.error).toMatch(cause);
      expect(dying.state()).toBe('closed');
      const later = await dying.readRegisters();
      expect(!later.ok && later.error).toMatch(cause);
      // The other session is untouched.
      expect(other.state()).toBe('running');
      const r1 = unwrap(await other.readRegister('r1'));
      expect(unwrap(await other.halt()).cause).toEqual({ kind: 'halted' });
      expect(unwrap(await other.readRegister('r1'))).toBeGreaterThanOrEqual(r1);
    });
  }
});

describe('spare emulator worker', () => {
  it('loads ahead, then serves the spec it is given, once; an unused spare ends', async () => {
    const spare = prepareEmulatorWorker();
    expect(spare.unusable()).toBeNull();
    // Its modules load before any spec exists (the worker says so).
    expect(await spare.ready).toBe(true);
    const { bytes } = buildElf('worker-count', SOURCE);
    const r = await spare.start({ machine: 'mps2-an386', files: [{ name: 'count.elf', bytes }] });
    if (!r.ok) throw new Error(r.error);
    started.push(r.value);
    const t = r.value;
    expect(t.description.kind).toBe('emulator');
    const out = nextEvent(t, 'console');
    unwrap(await t.resume());
    expect(Array.from((await out).bytes)).toEqual([0x2a]);
    expect(spare.unusable()).toMatch(/started already/);
    const again = await spare.start({ machine: 'mps2-an386', files: [] });
    expect(!again.ok && again.error).toMatch(/spare emulator worker cannot start: it was started/);

    const unused = prepareEmulatorWorker();
    await unused.end();
    expect(unused.unusable()).toMatch(/ended/);
    expect(await unused.ready).toBe(false); // ended before it said it was ready, or after
    const late = await unused.start({ machine: 'mps2-an386', files: [] });
    expect(!late.ok && late.error).toMatch(/it was ended/);
  }, 120_000);

  it("answers a spec it cannot build with the session's message", async () => {
    const spare = prepareEmulatorWorker();
    const m = await spare.start({ machine: 'pdp11', files: [] });
    expect(!m.ok && m.error).toMatch(/unknown machine 'pdp11'/);
  }, 120_000);
});
