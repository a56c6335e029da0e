// The PeripheralService over a real emulator target (in this thread) running small nRF52840
// firmware: the read policy as the chip sees it (the access log proves RXD is read only when
// asked), writes and their refusals, the board view and its buttons, the access log named after
// the SVD and tied to source lines, the interrupt table, user SVDs, and the live refresh.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatorTarget } from '../../emulator/debug/emulator-target';
import { readPolicy } from '../../emulator/debug/peripherals/register-view';
import type { DebugTarget } from '../../emulator/debug/target';
import { connectTarget, serveTarget } from '../../emulator/debug/target-rpc';
import { portPair } from '../../emulator/debug/testing/port-pair';
import { nodeScheduler } from '../../emulator/node/scheduler';
import { nrfProgram, nrfUartWriter, symbolOf } from '../../emulator/node/test-programs';
import type { CallerTable } from '../../emulator/debug/peripherals/call-chain';
import { createSession } from '../../emulator/session/session';
import { LogRows } from '../../renderer/src/models/access-log-rows';
import type { HostEvents } from '../common/contract.js';
import { inRanges } from '../../emulator/debug/peripherals/access-log';
import { parseSvd, RegisterNamer } from '../../emulator/peripherals/nrf/svd';
import {
  exactRanges,
  namePasses,
  PeripheralService,
  type DebugSeam,
} from './peripheral-service.js';

const APP_ROOT = path.resolve(import.meta.dirname, '..', '..');
const ELF = nrfUartWriter();
const TXD_STORE = symbolOf(ELF, 'txd_store');

const RXD = 0x40002518; // UART0.RXD: reading pops the receive FIFO
const UARTE0_ENABLE = 0x40002500;
const TXD_AMOUNT = 0x4000254c; // UARTE0.TXD.AMOUNT, read-only
const P0_OUT = 0x50000504;
const P0_OUTCLR = 0x5000050c;
const P0_DIRSET = 0x50000518;

interface Rig {
  service: PeripheralService;
  target: EmulatorTarget;
  events: HostEvents['peripherals.values'][];
  live: { intervalMs: number; run(t: DebugTarget): Promise<void> }[];
  project: string;
  debug: { target: DebugTarget | null; program: DebugSeam['program'] };
}

let rigs: Rig[] = [];
const ends: (() => void)[] = [];
afterEach(async () => {
  ends.splice(0).forEach((end) => end());
  for (const r of rigs) {
    r.service.dispose();
    await r.target.close();
  }
  rigs = [];
});

function rig(elf = ELF): Rig {
  const s = createSession({ machine: 'nrf52840dk' });
  if (!s.ok) throw new Error(s.error);
  const l = s.value.load(elf);
  if (!l.ok) throw new Error(l.error);
  const target = new EmulatorTarget({ session: s.value, scheduler: nodeScheduler, pace: 'fast' });
  const project = mkdtempSync(path.join(os.tmpdir(), 'periph-'));
  const events: HostEvents['peripherals.values'][] = [];
  const live: Rig['live'] = [];
  const debug: Omit<DebugSeam, 'target'> & { target: DebugTarget | null } = {
    target,
    program: {
      lineAt: (pc) =>
        pc === TXD_STORE
          ? { file: path.join(project, 'capsules/src/console.rs'), line: 42, column: 9 }
          : null,
      symbolize: (pc) => (pc === TXD_STORE ? { name: 'txd_store', offset: 0 } : null),
    },
    session: { board: 'nrf52840dk', phase: 'halted' },
    onStop: () => () => undefined,
    onSession: () => () => undefined,
    addLiveRead: (read) => {
      live.push(read);
      return () => live.splice(live.indexOf(read), 1);
    },
  };
  const service = new PeripheralService({
    projectRoot: project,
    appRoot: APP_ROOT,
    debug,
    emit: (name, payload) => {
      if (name === 'peripherals.values') events.push(payload as HostEvents['peripherals.values']);
    },
  });
  const r = { service, target, events, live, project, debug };
  rigs.push(r);
  return r;
}

/** UARTE0 enabled with a 3-byte transmit buffer at RAM 0x20000100 (PS "UARTE": TXD.PTR/MAXCNT). */
const UARTE_TXD_BUFFER = [
  'ldr r0, =0x40002000',
  'ldr r1, =0x20000100',
  'str r1, [r0, #0x544]',
  'movs r1, #3',
  'str r1, [r0, #0x548]',
  'movs r1, #8',
  'str r1, [r0, #0x500]',
];

/** Runs the firmware for a while (in virtual time) and halts it. */
async function run(t: EmulatorTarget, instructions = 50_000): Promise<void> {
  t.session.runSlice({ instructions });
}

const ok = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('PeripheralService', () => {
  it('describes the board SVD without warnings', async () => {
    const { service } = rig();
    const d = ok(await service.describe());
    expect(d).toMatchObject({
      board: 'nrf52840dk',
      source: 'built-in',
      path: 'resources/svd/nrf52840.svd',
      warnings: [],
    });
    expect(d.device.name).toBe('nrf52840');
  });

  it('describes what the panel shows whole, the rest without fields until asked for', async () => {
    const { service } = rig();
    const whole = ok(await service.describe());
    const light = ok(await service.describe({ detail: ['uarte0'] }));
    // A quarter of the size: the fields are most of a chip's description.
    expect(JSON.stringify(light).length).toBeLessThan(JSON.stringify(whole).length / 3);
    const uarte0 = (d: typeof whole) => d.device.peripherals.find((p) => p.name === 'UARTE0')!;
    const uart0 = (d: typeof whole) => d.device.peripherals.find((p) => p.name === 'UART0')!;
    expect(uarte0(light)).toEqual(uarte0(whole));
    expect(light.partial).toContain('UART0');
    expect(light.partial).not.toContain('UARTE0');
    // Every register is there (the tree and its search); a left-out peripheral keeps the fields
    // whose read has an effect, so the read policy is the same (RXD: on demand).
    expect(uart0(light).registers.map((r) => r.name)).toEqual(
      uart0(whole).registers.map((r) => r.name),
    );
    const rxd = (d: typeof whole) => uart0(d).registers.find((r) => r.name === 'RXD')!;
    expect(readPolicy(rxd(light))).toEqual(readPolicy(rxd(whole)));
    expect(uart0(light).registers.find((r) => r.name === 'ENABLE')!.fields).toEqual([]);
    // Asked for when shown: whole; a name the SVD lacks is named.
    expect(ok(await service.detail({ names: ['UART0'] }))).toEqual([uart0(whole)]);
    const bad = await service.detail({ names: ['UART0', 'NOPE9'] });
    expect(bad.ok ? null : bad.error.message).toMatch(/no peripheral NOPE9/);
  });

  it('never reads RXD unless asked, as the access log proves', async () => {
    const { service, target } = rig();
    ok(await service.log({ enable: true }));
    await run(target);
    // The panel shows UART0's registers, RXD among them, and refreshes many times.
    const shown = [UARTE0_ENABLE, 0x4000250c, 0x40002510, 0x40002514, RXD];
    ok(await service.watch({ addresses: shown }));
    for (let i = 0; i < 5; i++) await service.refresh(target);
    const values = ok(await service.read({ addresses: shown }));
    expect(values.find((v) => v.address === RXD)).toEqual({
      address: RXD,
      value: null,
      skipped: 'reading changes it (a FIFO pops) (SVD readAction on RXD)',
    });
    expect(values.find((v) => v.address === UARTE0_ENABLE)?.value).toBe(4);
    const before = ok(await service.log({ since: 0, max: 20_000 }));
    expect(before.entries.length).toBeGreaterThan(50);
    expect(before.entries.filter((e) => e.address === RXD)).toEqual([]);
    expect(before.entries.filter((e) => e.debugger)).toEqual([]);
    // Asked: one ordinary read, logged as the debugger's.
    const demanded = ok(await service.read({ addresses: [RXD], demand: true }));
    expect(demanded[0]).toEqual({ address: RXD, value: 0 });
    const after = ok(await service.log({ since: before.next }));
    expect(after.entries.map((e) => [e.register, e.write, e.debugger])).toEqual([
      ['UART0.RXD', false, true],
    ]);
  });

  it('names, decodes and locates the firmware`s accesses', async () => {
    const { service, target } = rig();
    ok(await service.log({ enable: true }));
    await run(target);
    const page = ok(await service.log({ since: 0, max: 1000 }));
    const enable = page.entries.find((e) => e.address === UARTE0_ENABLE)!;
    expect(enable).toMatchObject({
      register: 'UARTE0.ENABLE',
      write: true,
      value: 4,
      peripheral: 'UARTE0',
    });
    const txd = page.entries.find((e) => e.register === 'UART0.TXD')!;
    expect(txd).toMatchObject({
      write: true,
      value: 0x41,
      pc: TXD_STORE,
      decoded: 'TXD=0x41',
      source: {
        path: 'capsules/src/console.rs',
        inProject: true,
        line: 42,
        column: 9,
        function: 'txd_store',
      },
    });
    expect(page.frequencyHz).toBe(64_000_000);
    // Off: nothing more is recorded.
    ok(await service.log({ enable: false }));
    const stopped = ok(await service.log({})).next;
    await run(target);
    expect(ok(await service.log({ since: stopped })).entries).toEqual([]);
  });

  it('walks call chains once the program`s unwind rows are at hand, though the log was turned on before', async () => {
    // A capsule function calls a driver function that writes UART0.TXD. The unwind rows are
    // written by hand (what callerTable makes of the CFI): the driver is a leaf (its return
    // address is in LR), the capsule pushes {r7, lr} (CFA = SP + 8, LR at CFA - 4, r7 at CFA - 8).
    const elf = nrfProgram('periph-callers', [
      'ldr r0, =0x40002000',
      'loop:',
      'bl capsule_fn',
      'b loop',
      '.global capsule_fn',
      '.thumb_func',
      'capsule_fn:',
      'push {r7, lr}',
      '.global capsule_body',
      'capsule_body:',
      'bl driver_fn',
      '.global capsule_ret',
      'capsule_ret:',
      'pop {r7, pc}',
      '.global driver_fn',
      '.thumb_func',
      'driver_fn:',
      'movs r1, #0x41',
      'str r1, [r0, #0x51c]', // UART0.TXD
      'bx lr',
      '.global driver_end',
      'driver_end:',
    ]);
    const at = (name: string) => symbolOf(elf, name);
    const table: CallerTable = {
      starts: Uint32Array.from([
        at('capsule_fn'),
        at('capsule_body'),
        at('driver_fn'),
        at('driver_end'),
      ]),
      cfaReg: Uint8Array.from([13, 13, 13, 255]),
      cfaOffset: Int32Array.from([0, 8, 0, 0]),
      raAt: Int32Array.from([0, -4, 0, 0]),
      r7At: Int32Array.from([0, -8, 0, 0]),
      r11At: Int32Array.from([0, 0, 0, 0]),
    };
    const { service, target, debug, project } = rig(elf);
    const program = {
      lineAt: (pc: number) =>
        pc >= at('capsule_fn') && pc < at('driver_fn')
          ? { file: path.join(project, 'capsules/src/console.rs'), line: 7, column: 5 }
          : pc >= at('driver_fn') && pc < at('driver_end')
            ? { file: path.join(project, 'chips/nrf52/src/uart.rs'), line: 30, column: 9 }
            : null,
      symbolize: () => null,
      callerTable: () => table,
    };
    // The log is turned on while the session has no program yet (its debug information not
    // read): no table to walk with.
    debug.program = null;
    ok(await service.log({ enable: true }));
    await run(target, 2_000);
    // The program is there now; the panel polls as it does every 250 ms.
    debug.program = program;
    const first = ok(await service.log({ max: 0 })).next;
    expect(first).toBeGreaterThan(0);
    await run(target, 2_000);
    const page = ok(await service.log({ since: first, max: 1000 }));
    const writes = page.entries.filter((e) => e.register === 'UART0.TXD');
    expect(writes.length).toBeGreaterThan(10);
    for (const w of writes) {
      expect(w.source).toMatchObject({ path: 'chips/nrf52/src/uart.rs', line: 30 });
      expect(w.caller).toMatchObject({ path: 'capsules/src/console.rs', line: 7 });
      expect(w.callers?.[0]).toBe(at('capsule_ret'));
    }
    // The same page as the window asks for it: columns, the same entries once read back.
    const compact = ok(await service.log({ since: first, max: 1000, compact: true }));
    expect(compact.entries).toEqual([]);
    const rows = new LogRows(1000);
    rows.append(compact.rows!);
    expect(rows.length).toBe(page.entries.length);
    // A handful of strings and places for a thousand entries.
    expect(compact.rows!.strings.length + compact.rows!.sources.length).toBeLessThan(40);
    for (let i = 0; i < rows.length; i++) {
      const { callers: _callers, ...whole } = page.entries[i]!;
      expect(rows.entry(i)).toEqual({ ...whole, caller: whole.caller ?? null });
    }
  });

  it('filters before the window: every match the log holds, and the debugger`s reads alone', async () => {
    const { service, target } = rig();
    ok(await service.log({ enable: true }));
    await run(target);
    ok(await service.read({ addresses: [RXD], demand: true }));
    await run(target);
    const all = ok(await service.log({ since: 0, max: 20_000 }));
    const txds = all.entries.filter((e) => e.register === 'UART0.TXD');
    expect(txds.length).toBeGreaterThan(3);
    // A window of 3 unfiltered entries would hold none of them; filtered, the first 3 matches.
    const three = ok(await service.log({ since: 0, max: 3, register: 'uart0.txd' }));
    expect(three.entries.map((e) => e.seq)).toEqual(txds.slice(0, 3).map((e) => e.seq));
    const rest = ok(await service.log({ since: three.next, max: 20_000, register: 'UART0.TXD' }));
    expect([...three.entries, ...rest.entries].map((e) => e.seq)).toEqual(txds.map((e) => e.seq));
    const uarte = ok(await service.log({ since: 0, max: 20_000, peripheral: 'UARTE0' }));
    expect(uarte.entries.length).toBeGreaterThan(0);
    expect(uarte.entries.every((e) => e.peripheral === 'UARTE0')).toBe(true);
    expect(uarte.entries.length).toBe(all.entries.filter((e) => e.peripheral === 'UARTE0').length);
    // What a reader skipping a stretch keeps: the debugger's own reads, and the entries of the
    // peripherals with few in it (not the UART0 flood).
    const dbg = ok(await service.log({ since: 0, until: all.next, debuggerOnly: true }));
    const debuggers = dbg.entries.filter((e) => e.debugger);
    expect(debuggers.map((e) => [e.register, e.debugger])).toEqual([['UART0.RXD', true]]);
    expect(all.entries.filter((e) => e.peripheral === 'UART0').length).toBeGreaterThan(512);
    const perPeripheral = new Map<string | null, number>();
    for (const e of all.entries)
      if (!e.debugger) perPeripheral.set(e.peripheral, (perPeripheral.get(e.peripheral) ?? 0) + 1);
    const quiet = all.entries.filter((e) => !e.debugger && perPeripheral.get(e.peripheral)! < 512);
    expect(dbg.entries.filter((e) => !e.debugger).map((e) => e.seq)).toEqual(
      quiet.map((e) => e.seq),
    );
    expect(dbg.next).toBe(all.next);
  });

  it('gives the emulator exact ranges: a UARTE0 view of a UART0 flood fetches and counts only UARTE0`s entries', async () => {
    const { service, target } = rig();
    ok(await service.log({ enable: true }));
    await run(target);
    const all = ok(await service.log({ since: 0, max: 20_000 }));
    const uarte = all.entries.filter((e) => e.peripheral === 'UARTE0');
    // The flood writes UART0.TXD, in the block UART0 shares with UARTE0.
    expect(all.entries.filter((e) => e.register === 'UART0.TXD').length).toBeGreaterThan(100);
    expect(uarte.length).toBeGreaterThan(2);
    // The newest 2 matches, and the older ones passed over counted: UARTE0's, not the block's.
    const tail = ok(
      await service.log({ since: 0, until: all.next, max: 2, peripheral: 'UARTE0', newest: true }),
    );
    expect(tail.entries.map((e) => e.seq)).toEqual(uarte.slice(-2).map((e) => e.seq));
    expect(tail.passed).toBe(uarte.length - 2);
    // A register text matching other names ('TXD' is in UART0.TXD and UARTE0.TXD.PTR...).
    const txd = all.entries.filter((e) => (e.register ?? '').toLowerCase().includes('uarte0.txd'));
    const named = ok(
      await service.log({
        since: 0,
        until: all.next,
        max: 1,
        register: 'UARTE0.TXD',
        newest: true,
      }),
    );
    expect(named.passed! + named.entries.length).toBe(txd.length);
  });

  it('lists an enabled UARTE0`s EasyDMA buffer among the connections', async () => {
    const elf = nrfProgram('uarte-dma-buffer', [...UARTE_TXD_BUFFER, 'b .']);
    const { service, target } = rig(elf);
    await run(target);
    const c = ok(await service.connections());
    expect(c.dma.find((d) => d.peripheral === 'UARTE0' && d.channel === 'TXD')).toMatchObject({
      ptr: 0x20000100,
      maxcnt: 3,
    });
  });

  it('logs UARTE0 EasyDMA transfers as the peripheral`s own entries', async () => {
    // UARTE0 sends 3 bytes from RAM 0x20000100 by EasyDMA (PS "UARTE": TXD.PTR/MAXCNT, STARTTX).
    const elf = nrfProgram('uarte-dma', [
      ...UARTE_TXD_BUFFER,
      'movs r1, #1',
      'str r1, [r0, #8]',
      'b .',
    ]);
    const { service, target } = rig(elf);
    ok(await service.log({ enable: true }));
    await run(target, 200_000);
    const page = ok(await service.log({ since: 0, max: 1000 }));
    const dma = page.entries.filter((e) => e.dma);
    expect(
      dma.map((e) => [e.register, e.peripheral, e.write, e.address, e.value, e.source]),
    ).toEqual([['UARTE0.EasyDMA', 'UARTE0', false, 0x20000100, 3, null]]);
    expect(dma[0]!.decoded).toBe('read 3 bytes from RAM 0x20000100');
    // Filed under its peripheral by the filters.
    const uarte = ok(await service.log({ since: 0, max: 1000, peripheral: 'UARTE0' }));
    expect(uarte.entries.filter((e) => e.dma)).toHaveLength(1);
    const named = ok(await service.log({ since: 0, max: 1000, register: 'UARTE0.EasyDMA' }));
    expect(named.entries.map((e) => e.register)).toEqual(['UARTE0.EasyDMA']);
    // Off: no transfer recorded.
    ok(await service.log({ enable: false }));
    const stopped = ok(await service.log({})).next;
    expect((await target.writeMemory(0x4000200c, Uint8Array.of(1, 0, 0, 0))).ok).toBe(true); // STOPTX
    expect((await target.writeMemory(0x40002008, Uint8Array.of(1, 0, 0, 0))).ok).toBe(true); // STARTTX
    await run(target, 200_000);
    expect(ok(await service.log({ since: stopped })).entries).toEqual([]);
  });

  it('writes fields the way their register takes them and reads back; refuses read-only ones', async () => {
    const { service, target } = rig();
    await run(target, 1000);
    ok(await service.write({ address: P0_DIRSET, field: 'PIN14', input: 'Set' }));
    ok(await service.write({ address: P0_OUT, value: 0xffffffff }));
    const r = ok(await service.write({ address: P0_OUTCLR, field: 'PIN14', input: '1' }));
    // OUTCLR reads back OUT: only pin 14 was cleared.
    expect(r.value).toBe((0xffffffff & ~(1 << 14)) >>> 0);
    const board = ok(await service.boardState());
    expect(board.leds.map((l) => [l.name, l.lit])).toEqual([
      ['LED1', false],
      ['LED2', true],
      ['LED3', false],
      ['LED4', false],
    ]);
    expect(board.pins.find((p) => p.pin === 14 && p.port === 0)).toMatchObject({
      output: true,
      out: false,
    });
    const refused = await service.write({ address: TXD_AMOUNT, value: 1 });
    expect(refused).toEqual({
      ok: false,
      error: {
        code: 'bad-request',
        message: 'UARTE0.TXD.AMOUNT is read-only (SVD access read-only)',
      },
    });
    const field = await service.write({
      address: UARTE0_ENABLE,
      field: 'ENABLE',
      input: 'sideways',
    });
    expect(field.ok || field.error.message).toMatch(
      /UARTE0.ENABLE: 'sideways' is not a number nor one of Disabled, Enabled/,
    );
  });

  it('presses buttons and shows which peripheral has a pin', async () => {
    const { service, target } = rig();
    await run(target);
    ok(await service.button({ name: 'BUTTON1', pressed: true }));
    const board = ok(await service.boardState());
    expect(board.buttons.find((b) => b.name === 'BUTTON1')).toMatchObject({
      pressed: true,
      port: 0,
      pin: 11,
    });
    expect(board.pins.find((p) => p.pin === 11)).toMatchObject({ in: false, functions: [] });
    // The firmware gave P0.06 to the UART (PSEL.TXD, the UARTE0 name of the register) and enabled it.
    expect(board.pins.find((p) => p.pin === 6)?.functions).toEqual(['UARTE0 PSEL.TXD']);
    const bad = await service.button({ name: 'BUTTON9', pressed: true });
    expect(bad.ok || bad.error.message).toMatch(/no button 'BUTTON9' \(buttons: BUTTON1/);
  });

  it('lists interrupts with their peripherals and line levels', async () => {
    const { service, target } = rig();
    await run(target);
    const rows = ok(await service.interrupts());
    const uart = rows.find((r) => r.irq === 2)!;
    expect(uart).toMatchObject({
      name: 'UARTE0_UART0',
      enabled: false,
      level: expect.any(Boolean),
    });
    expect(rows.length).toBeGreaterThan(30);
  });

  it('refreshes watched registers through the debug service`s live reads at 10 Hz', async () => {
    const { service, target, live, events } = rig();
    ok(await service.watch({ addresses: [UARTE0_ENABLE] }));
    expect(live).toHaveLength(1);
    expect(live[0]!.intervalMs).toBe(100);
    await run(target);
    await live[0]!.run(target);
    const last = events[events.length - 1]!;
    expect(last.values).toEqual([{ address: UARTE0_ENABLE, value: 4 }]);
    expect(last.board?.board).toBe('nrf52840dk');
    expect(last.interrupts.length).toBeGreaterThan(0);
  });

  it('makes one trip to the emulator worker per refresh (watched registers, board, interrupts)', async () => {
    // Over the worker each trip waits for a slice boundary: a refresh of ~20 sequential calls
    // took ~20 boundaries (seconds on a loaded machine). Its reads now go out together.
    const { service, target, debug, live, events } = rig();
    const [a, b, end] = portPair();
    ends.push(end);
    serveTarget(target, a);
    const p = await connectTarget(b);
    if (!p.ok) throw new Error(p.error);
    const proxy = p.value;
    debug.target = proxy;
    ok(await service.watch({ addresses: [UARTE0_ENABLE, TXD_AMOUNT, 0x40002504, 0x40002508] }));
    await run(target);
    await live[0]!.run(proxy); // the first learns the NVIC's size (ICTR) and the pins' functions
    const before = proxy.posted;
    const n = events.length;
    await live[0]!.run(proxy);
    expect(proxy.posted - before).toBe(1);
    const last = events[n]!;
    expect(last.values.find((v) => v.address === UARTE0_ENABLE)?.value).toBe(4);
    expect(last.board?.buttons.length).toBeGreaterThan(0);
    expect(last.interrupts.length).toBeGreaterThan(0);
  });

  it('reads the buttons before the pins, so a pressed button never shows its pin still high', async () => {
    const { service, target, debug } = rig();
    const order: string[] = [];
    const watched: DebugTarget = Object.assign(Object.create(target) as DebugTarget, {
      boardState: () => (order.push('buttons'), target.boardState()),
      readMemory: (address: number, length: number) => (
        address === 0x50000504 && order.push('pins'),
        target.readMemory(address, length)
      ),
    });
    debug.target = watched;
    ok(await service.boardState());
    expect(order.slice(0, 2)).toEqual(['buttons', 'pins']);
  });

  it('refreshes the new session although a read of the ended one never answers', async () => {
    // The session ended while a refresh was reading its target: a closed target's calls may
    // never settle (its worker is gone). The next session's drawing and registers still refresh
    // (the micro:bit's Board view once stayed as the previous session left it, its button press
    // never shown), and the old target's values are not shown as the new one's.
    const { service, target, events, debug } = rig();
    ok(await service.watch({ addresses: [UARTE0_ENABLE] }));
    const never = (): Promise<never> => new Promise(() => undefined);
    const gone: DebugTarget = Object.assign(Object.create(target) as DebugTarget, {
      state: () => 'closed' as const,
      readMemory: never,
      readRegister: never,
      readRegisters: never,
      boardState: never,
    });
    debug.target = gone;
    void service.refresh(gone);
    void service.refresh(gone); // queued behind the first, as the 10 Hz reads are
    await run(target);
    debug.target = target;
    const settled = await Promise.race([
      service.refresh(target).then(() => 'refreshed'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5000)),
    ]);
    expect(settled).toBe('refreshed');
    const last = events[events.length - 1]!;
    expect(last.values).toEqual([{ address: UARTE0_ENABLE, value: 4 }]);
    expect(last.board?.board).toBe('nrf52840dk');
  });

  it('loads a user SVD: refused with line and reason when malformed, warned when for another chip', async () => {
    const { service, project } = rig();
    writeFileSync(
      path.join(project, 'bad.svd'),
      '<device>\n<name>x</name>\n<peripherals>\n<peripheral><name>A</name>\n</peripheral></peripherals></device>\n',
    );
    const bad = await service.loadSvd({ path: 'bad.svd' });
    expect(bad.ok || bad.error.message).toBe(
      'bad.svd is not a usable SVD: device > peripheral A (line 4): missing <baseAddress>',
    );
    writeFileSync(
      path.join(project, 'other.svd'),
      [
        '<device><name>STM32F4</name><peripherals>',
        '<peripheral><name>GPIOA</name><baseAddress>0x40020000</baseAddress>',
        '<registers><register><name>MODER</name><addressOffset>0</addressOffset></register></registers>',
        '</peripheral>',
        '<peripheral><name>FMC</name><baseAddress>0xA0000000</baseAddress>',
        '<registers><register><name>BCR1</name><addressOffset>0</addressOffset></register></registers>',
        '</peripheral></peripherals></device>',
      ].join('\n'),
    );
    const other = ok(await service.loadSvd({ path: 'other.svd' }));
    expect(other.source).toBe('user');
    expect(other.warnings).toEqual([
      'the SVD describes STM32F4, but the target is nRF52840: registers may be named wrongly',
      'peripheral FMC (line 5) at 0xa0000000: 0xa0000000 is not mapped on this machine',
    ]);
    const back = ok(await service.resetSvd());
    expect(back.source).toBe('built-in');
  });

  it('says plainly when no session runs', async () => {
    const service = new PeripheralService({
      projectRoot: os.tmpdir(),
      appRoot: APP_ROOT,
      debug: {
        target: null,
        program: null,
        session: null,
        onStop: () => () => undefined,
        onSession: () => () => undefined,
        addLiveRead: () => () => undefined,
      },
      emit: () => undefined,
    });
    expect(await service.describe()).toEqual({
      ok: false,
      error: {
        code: 'unavailable',
        message: 'No debug session runs.',
        fix: 'Start one with Run or Debug first.',
      },
    });
    service.dispose();
  });
});

describe('exactRanges', () => {
  it('passes exactly the words the host names so that the filter passes them, and the EasyDMA bases', () => {
    const device = parseSvd(
      readFileSync(path.join(APP_ROOT, 'resources/svd/nrf52840.svd'), 'utf8'),
    );
    const namer = new RegisterNamer(device);
    // Every word of every peripheral's block, named as the service names entries.
    const words = new Set<number>();
    for (const per of device.peripherals) {
      const blocks = per.addressBlocks.length > 0 ? per.addressBlocks : [{ offset: 0, size: 4096 }];
      for (const b of blocks)
        for (let w = per.baseAddress + b.offset; w < per.baseAddress + b.offset + b.size; w += 4)
          words.add(w >>> 0);
    }
    const filters: [string, string][] = [
      ['uarte0', ''], // shares its block with UART0
      ['uart0', ''],
      ['', 'txd'], // UART0.TXD, UARTE0.TXD.PTR, ... and no unnamed word
      ['uarte0', 'txd'],
      ['', 'uarte0+0x5'], // unnamed words of UARTE0's block
      ['', 'easydma'],
      ['gpio', ''], // no such peripheral
    ];
    for (const [p, rf] of filters) {
      const { ranges, dma } = exactRanges(namer, p, rf);
      let passed = 0;
      for (const w of words) {
        const named = {
          peripheral: namer.locate(w)?.peripheral.name ?? null,
          register: namer.name(w),
        };
        const want = namePasses(named.peripheral, named.register, p, rf);
        if (inRanges(ranges, w) !== want)
          throw new Error(`${p}/${rf}: 0x${w.toString(16)} ${named.register}`);
        if (want) passed++;
      }
      if (p === 'uarte0' && rf === '') {
        expect(passed).toBeGreaterThan(20);
        expect(inRanges(ranges, 0x4000251c)).toBe(false); // UART0.TXD
        expect(inRanges(ranges, 0x40002500)).toBe(true); // UARTE0.ENABLE
        expect(inRanges(dma, 0x40002000)).toBe(true);
      }
      if (rf === 'uarte0+0x5') expect(passed).toBeGreaterThan(0);
      if (p === 'uart0') expect(dma).toEqual([]); // its transfers are UARTE0's
      if (rf === 'easydma') expect(ranges).toEqual([]);
    }
  });
});
