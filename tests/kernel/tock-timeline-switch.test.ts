/**
 * The Timeline against the kernel's handler-mode context switch: at the end of a timeslice the
 * SysTick handler switches to the next ready process itself (kernel/arch/cortex-m cm_fast_switch)
 * and returns into it, without going back to the kernel thread. The nrf52840dk kernel boots the
 * sysbench pair (two processes that spin, so every timeslice ends in a switch) in the emulator
 * with the recorder on, and the raw exception records are checked against the Timeline's model:
 * - every SysTick entered from process A whose (untail-chained) return goes into process B is a
 *   "switch from A" event on B's lane at that return, and A's running span ends at the entry;
 * - the running spans never overlap and every lane is a process of the table (a tail-chained
 *   return, on the main stack, makes no lane of its own).
 *
 * @example
 *   npm run test:kernel -- tock-timeline-switch
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok } from '../../emulator/core/result';
import { unwrap } from '../../emulator/debug/testing/target-helpers';
import { ProcessTable } from '../../emulator/debug/tock/processes';
import { RECORD_WORDS, RecordKind, TockRecorder } from '../../emulator/debug/tock/recorder';
import { Timeline } from '../../emulator/debug/tock/timeline';
import { DebugInfo } from '../../emulator/formats/dwarf/index';
import { createSession } from '../../emulator/session/session';
import { kernelImage } from './qemu';

const APPS = ['sysbench_calls', 'sysbench_spin'];
const SYSTICK = 15;
const toProcess = (r: number): boolean => r >>> 28 === 0xf && (r & 0xc) === 0xc;

describe('Timeline and the handler-mode context switch (nRF52840-DK kernel)', () => {
  it(
    'a SysTick switch is a switch event; running spans follow the stack',
    { timeout: 180_000 },
    async () => {
      const image = kernelImage('nrf52840dk');
      const manifest = JSON.parse(readFileSync(join(image.dir, 'apps.json'), 'utf8')) as {
        appsStart: number;
        apps: { name: string; tbf: string; flash: number }[];
      };
      // @ts-expect-error scripts/apps.mjs is plain JavaScript without type declarations.
      const appsScript = (await import('../../scripts/apps.mjs')) as {
        composeApps(
          start: number,
          t: { address: number; bytes: Uint8Array }[],
        ): Promise<Uint8Array>;
      };
      const bin = await appsScript.composeApps(
        manifest.appsStart,
        APPS.map((n) => manifest.apps.find((a) => a.name === n)!).map((a) => ({
          address: a.flash,
          bytes: new Uint8Array(readFileSync(a.tbf)),
        })),
      );
      const elf = new Uint8Array(readFileSync(image.kernelElf));
      const session = unwrap(createSession({ machine: 'nrf52840dk' }));
      unwrap(
        session.loadFiles([
          { name: 'kernel.elf', bytes: elf },
          { name: 'apps.bin', bytes: bin, address: manifest.appsStart },
        ]),
      );
      const recorder = new TockRecorder({ core: session.core, dma: [] });
      recorder.start({ timeline: true, capacity: 1 << 18 });
      for (let i = 0; i < 20; i++) session.runSlice({ instructions: 2_000_000 });
      recorder.stop();
      const chunk = recorder.fetch(0);
      expect(chunk.lost).toBe(0);

      const mem = async (a: number, n: number) => {
        const b = new Uint8Array(n);
        for (let i = 0; i < n; i++) b[i] = session.core.readMemory((a + i) >>> 0, 1);
        return ok(b);
      };
      const table = unwrap(ProcessTable.fromDebugInfo(unwrap(DebugInfo.load(elf))));
      const procs = unwrap(await table.read(mem));
      expect(procs.map((p) => p.name).sort()).toEqual([...APPS].sort());
      const tl = new Timeline(procs.map((p) => ({ slot: p.slot, name: p.name, ram: p.ram })));
      tl.add(chunk);
      const laneOf = (sp: number): string | undefined =>
        procs.find((p) => sp >= p.ram.start && sp <= p.ram.end)?.name;

      // The handler-mode switches in the raw records: SysTick from A, returned (no tail chain)
      // into B != A, with no other entry from a process in between.
      const switches: { from: string; to: string; entry: number; ret: number }[] = [];
      let from: { lane: string; at: number } | null = null;
      for (let i = 0; i < chunk.cycles.length; i++) {
        const w = chunk.words.subarray(i * RECORD_WORDS, (i + 1) * RECORD_WORDS);
        const at = chunk.cycles[i]!;
        if (w[0] === RecordKind.ExceptionEntry && toProcess(w[2]! >>> 0))
          from = w[1] === SYSTICK ? { lane: laneOf(w[4]! >>> 0)!, at } : null;
        if (w[0] === RecordKind.ExceptionReturn && w[1] === SYSTICK && w[3] === 0 && from) {
          const to = toProcess(w[2]! >>> 0) ? laneOf(w[5]! >>> 0) : undefined;
          if (to && to !== from.lane)
            switches.push({ from: from.lane, to, entry: from.at, ret: at });
          from = null;
        }
      }
      expect(switches.length, 'handler-mode switches in 40 M instructions').toBeGreaterThanOrEqual(
        10,
      );

      const events = tl.events.filter((e) => e.kind === 'switch' && e.name !== 'running');
      const running = tl.events.filter((e) => e.kind === 'switch' && e.name === 'running');
      for (const s of switches) {
        expect(events, `switch ${s.from} -> ${s.to} at ${s.ret}`).toContainEqual(
          expect.objectContaining({ lane: s.to, name: `switch from ${s.from}`, start: s.ret }),
        );
        expect(running).toContainEqual(
          expect.objectContaining({
            lane: s.from,
            args: expect.objectContaining({ until: 'SysTick' }),
          }),
        );
        const ended = running.find((r) => r.start + r.duration === s.entry);
        expect(ended?.lane, `span ending at ${s.entry}`).toBe(s.from);
        const began = running.find((r) => r.start === s.ret);
        if (began) expect(began.lane).toBe(s.to); // the last span may still be open
      }
      // Every handler-mode switch event the model made is one of the raw record's switches (by SysTick).
      for (const e of events.filter((x) => x.args.by === 'SysTick'))
        expect(switches.some((s) => s.ret === e.start && s.to === e.lane)).toBe(true);
      // Running spans do not overlap, and every lane is one of the two processes (or an IRQ's).
      const sorted = [...running].sort((a, b) => a.start - b.start);
      for (let i = 1; i < sorted.length; i++)
        expect(sorted[i]!.start).toBeGreaterThanOrEqual(
          sorted[i - 1]!.start + sorted[i - 1]!.duration,
        );
      for (const e of tl.events)
        expect(APPS.includes(e.lane) || /^IRQ \d+$/.test(e.lane), e.lane).toBe(true);
    },
  );
});
