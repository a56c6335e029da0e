/**
 * The host's timeline service over a scripted target: Record switches the kernel's trace port
 * on (DEMCR.TRCENA, ITM unlock, TCR, TER) and starts the recorder; each reading fetches only
 * what is new and names lanes after the build's apps when the kernel has no readable process
 * table; Clear forgets the events; Export gives Chrome trace JSON; an IRQ's source is its handler
 * from the vector table; a target without a recorder says it needs the emulator.
 */
import { describe, expect, it } from 'vitest';
import type { DebugTarget } from '../../emulator/debug/target';
import {
  RECORD_WORDS,
  RecordKind,
  type RecorderReply,
  type RecorderRequest,
} from '../../emulator/debug/tock/recorder';
import { TockService } from './tock-service';

const PSP = 0xfffffffd | 0;
const MSP = 0xfffffff9 | 0;

function scripted(records: [number, number[]][], withRecorder = true) {
  const memory = new Map<number, number>([
    [0xe000ed08, 0x1000], // VTOR
    [0x1000 + 18 * 4, 0x2345], // IRQ 2's vector (Thumb bit set)
  ]);
  const requests: RecorderRequest[] = [];
  let recording = false;
  const word = (v: number): Uint8Array => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return b;
  };
  const target = {
    description: {
      kind: 'emulator',
      board: 'nrf52840dk',
      label: 'scripted',
      memoryMap: [{ name: 'ram', kind: 'ram', start: 0x2000_0000, size: 0x4_0000 }],
      capabilities: {},
    },
    readMemory: async (address: number, length: number) =>
      length === 4
        ? { ok: true, value: word(memory.get(address) ?? 0) }
        : { ok: false, error: 'unmapped' },
    writeMemory: async (address: number, bytes: Uint8Array) => {
      memory.set(address, new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true));
      return { ok: true, value: undefined };
    },
    ...(withRecorder
      ? {
          recorder: async (r: RecorderRequest): Promise<{ ok: true; value: RecorderReply }> => {
            requests.push(r);
            if (r.op === 'start') recording = true;
            if (r.op === 'stop') recording = false;
            if (r.op !== 'fetch') return { ok: true, value: { op: 'started' } };
            const part = records.slice(r.since, r.since + (r.max ?? records.length));
            const words = new Int32Array(part.length * RECORD_WORDS);
            part.forEach(([, w], i) => words.set(w, i * RECORD_WORDS));
            return {
              ok: true,
              value: {
                op: 'chunk',
                chunk: {
                  first: r.since,
                  lost: 0,
                  cycles: Float64Array.from(part.map(([c]) => c)),
                  words,
                  now: 1000,
                  frequencyHz: 64_000_000,
                  recording,
                },
              },
            };
          },
        }
      : {}),
  } as unknown as DebugTarget;
  const service = new TockService(() => ({
    target,
    kernel: { name: 'kernel.elf', bytes: new Uint8Array(16) },
    apps: [
      { name: 'hello', ram: 0x2000_8000 },
      { name: 'blink', ram: 0x2000_a000 },
    ],
  }));
  return { service, requests, memory, records };
}

const value = <T>(r: { ok: true; value: T } | { ok: false; error: string }): T => {
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('TockService timeline', () => {
  it('loses no event when more is recorded between two readings than one fetch carries', async () => {
    // 100,000 interrupts (200,000 records: four fetches of at most 65,536) between readings.
    const records: [number, number[]][] = [];
    for (let i = 0; i < 100_000; i++)
      records.push(
        [i * 10, [RecordKind.ExceptionEntry, 18, MSP, 0x1000, 0x2000_0f00, 0, 0, 0, 0, -1]],
        [i * 10 + 5, [RecordKind.ExceptionReturn, 18, MSP, 0, 0x1000, 0x2000_0f00, 0, 0, 0, 0]],
      );
    const s = scripted([]);
    value(await s.service.record(true));
    for (const r of records) s.records.push(r);
    const view = value(await s.service.timeline());
    const fetches = s.requests.filter((r) => r.op === 'fetch');
    expect(fetches.map((r) => (r as { since: number }).since)).toEqual([
      0, 0, 65_536, 131_072, 196_608,
    ]);
    expect(view.lost).toBe(0);
    // Every interrupt is an event: those shown plus those left out of the view.
    expect(view.events.length + view.omitted).toBe(100_000);
    expect(view.events.at(-1)).toMatchObject({ kind: 'irq', start: 999_990, duration: 5 });
  });

  it('records, reads what is new, clears and exports', async () => {
    const records: [number, number[]][] = [
      [100, [RecordKind.ExceptionReturn, 11, PSP, 0, 0x40200, 0x2000_8700, 0, 0, 0, 0]],
      [200, [RecordKind.ExceptionEntry, 11, PSP, 0x40212, 0x2000_86e0, 1, 1, 21, 0, 2]],
      [300, [RecordKind.ExceptionEntry, 18, MSP, 0x1000, 0x2000_0f00, 0, 0, 0, 0, -1]],
      [340, [RecordKind.ExceptionReturn, 18, MSP, 0, 0x1000, 0x2000_0f00, 0, 0, 0, 0]],
      [500, [RecordKind.ExceptionReturn, 11, PSP, 0, 0x40214, 0x2000_a700, 128, 0, 0, 0]],
    ];
    const s = scripted(records.slice(0, 2));
    const started = value(await s.service.record(true));
    expect(started.recording).toBe(true);
    expect(s.requests[0]).toMatchObject({ op: 'start', timeline: true, dma: true });
    // The trace port is on as a debugger switches it on (ARMv7-M ARM C1.6.5, C1.7).
    expect((s.memory.get(0xe000edfc)! >>> 24) & 1).toBe(1);
    expect(s.memory.get(0xe0000fb0)).toBe(0xc5acce55);
    expect(s.memory.get(0xe0000e80)! & 1).toBe(1);
    expect(s.memory.get(0xe0000e00)! & 2).toBe(2);
    // No process table in this "kernel": lanes follow the build's apps, and it says so.
    expect(started.notes.join(' ')).toMatch(/process table could not be read/);
    expect(started.events.map((e) => `${e.lane}: ${e.kind} ${e.name}`)).toEqual([
      'hello: switch running',
      'hello: syscall command console 1',
    ]);

    records.slice(2).forEach((r) => s.records.push(r));
    // Readings asked for while one is under way share its fetch (they never pile up).
    const [later, again] = (await Promise.all([s.service.timeline(), s.service.timeline()])).map(
      value,
    );
    expect(again).toBe(later);
    const call = later.events.find((e) => e.kind === 'syscall')!;
    // The reply comes back into the other app's RAM: blink's lane, so hello's call stays open.
    expect(call.args.result).toBeUndefined();
    expect(later.lanes).toEqual(['hello', 'IRQ 2']);
    expect(later.events.find((e) => e.kind === 'irq')).toMatchObject({ start: 300, duration: 40 });
    const fetches = s.requests
      .filter((r) => r.op === 'fetch')
      .map((r) => (r as { since: number }).since);
    expect(fetches).toEqual([0, 2]);

    const trace = JSON.parse(value(await s.service.exportTimeline())) as {
      traceEvents: { ph: string; args: { name?: string } }[];
    };
    expect(trace.traceEvents.filter((e) => e.ph === 'M').map((e) => e.args.name)).toEqual([
      'hello',
      'IRQ 2',
    ]);
    expect(value(await s.service.eventAddress({ exception: 18 }))).toBe(0x2344);
    expect(value(await s.service.eventAddress({ pc: 0x40210 }))).toBe(0x40210);

    const cleared = value(await s.service.clearTimeline());
    expect(cleared.events).toEqual([]);
    expect(cleared.recording).toBe(true);
    expect((await s.service.exportTimeline()).ok).toBe(false);
    expect(value(await s.service.record(false)).recording).toBe(false);
  });

  it('says the timeline needs the emulator on a target without a recorder', async () => {
    const s = scripted([], false);
    const r = await s.service.timeline();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/needs the emulator/);
  });
});
