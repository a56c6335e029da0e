/**
 * GDB server tests on an in-memory wire over the real emulator target: negotiation and the
 * documents (target description, memory map, threads), registers and memory (flash and
 * unmapped writes refused, target unharmed), breakpoints and watchpoints in stop replies,
 * stepping, range stepping and Ctrl-C, vFlash all-or-nothing, monitor commands, reverse
 * execution, two clients at once, framing faults (bad checksum, oversized packet, disconnect
 * mid-packet), and our own client talking to the server.
 */
import { describe, expect, it } from 'vitest';
import type { EmulatorTarget } from '../debug/emulator-target';
import { emulatorTargets, NRF_IMAGES } from '../debug/testing/emulator-fixture';
import { unwrap } from '../debug/testing/target-helpers';
import { GdbRemoteClient } from './client';
import { checksum, encodePacket, hexToText, leWordToHex, textToHex } from './framing';
import { parseMemoryMap, parseStopReply, readTargetDescription } from './protocol';
import { GdbServer, type ServerThread } from './server';
import { Wire } from './testing/wire';

const VAR = 0x20000000;
const SOURCE = [
  '.syntax unified',
  '.thumb',
  '.section .vectors, "a"',
  '.word 0x20010000',
  '.word start',
  '.rept 46',
  '.word other',
  '.endr',
  '.text',
  '.thumb_func',
  'start:',
  'ldr r0, =var',
  'movs r1, #0',
  'loop: adds r1, #1',
  'store: str r1, [r0]',
  'ldr r2, [r0]',
  'after: b loop',
  '.thumb_func',
  'other: b .',
  '.ltorg',
  '.data',
  '.align 2',
  'var: .word 0',
  '',
].join('\n');

const targets = emulatorTargets();

function mps2(threads?: ServerThread[]): {
  t: EmulatorTarget;
  server: GdbServer;
  symbol: (n: string) => number;
} {
  const { t, symbol } = targets.fromSource('gdb-server', SOURCE);
  const server = targets.serve(
    t,
    threads ? { threads: { threads: async () => ({ ok: true, value: threads }) } } : {},
  );
  return { t, server, symbol };
}

function nrf(): { t: EmulatorTarget; server: GdbServer } {
  const { t } = targets.fromFiles('nrf52840dk', [
    { name: 'tiny.bin', bytes: NRF_IMAGES.idle, address: 0 },
  ]);
  return { t, server: targets.serve(t) };
}

const hex32 = (v: number): string => v.toString(16);

describe('GdbServer negotiation and documents', () => {
  it('acks, answers qSupported, describes the core and the memory map', async () => {
    const { server } = mps2();
    const w = new Wire(server);
    const sup = await w.ask('qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=arm');
    expect(w.sent.startsWith('+')).toBe(true);
    for (const f of [
      'PacketSize=4000',
      'QStartNoAckMode+',
      'qXfer:features:read+',
      'qXfer:memory-map:read+',
      'qXfer:threads:read+',
      'vContSupported+',
      'swbreak+',
      'hwbreak+',
      'ReverseStep+',
      'ReverseContinue+',
    ])
      expect(sup.split(';')).toContain(f);
    expect(await w.ask('vMustReplyEmpty')).toBe('');
    expect(await w.ask('qNoSuchThing')).toBe('');
    expect(await w.ask('vCont?')).toBe('vCont;c;C;s;S;r');
    // The target description, read in small pieces as GDB may.
    const fetch = async (annex: string): Promise<{ ok: true; value: string }> => {
      let doc = '';
      for (;;) {
        const r = await w.ask(`qXfer:features:read:${annex}:${doc.length.toString(16)},40`);
        doc += r.slice(1);
        if (r[0] === 'l') return { ok: true, value: doc };
        expect(r[0]).toBe('m');
      }
    };
    const desc = unwrap(await readTargetDescription(fetch));
    expect(desc.features).toEqual(['org.gnu.gdb.arm.m-profile', 'org.gnu.gdb.arm.m-system']);
    expect(desc.registers.map((r) => r.name)).toEqual([
      ...Array.from({ length: 13 }, (_, i) => `r${i}`),
      'sp',
      'lr',
      'pc',
      'xpsr',
      'msp',
      'psp',
      'primask',
      'basepri',
      'faultmask',
      'control',
    ]);
    const mapText = (await w.ask('qXfer:memory-map:read::0,3000')).slice(1);
    const map = unwrap(parseMemoryMap(mapText));
    expect(map.some((r) => r.kind === 'ram' && r.start === 0x40000000)).toBe(true); // peripherals
    // The SCB in the PPB (GDB reads CFSR and friends there).
    const covers = (a: number) => (r: { start: number; size: number }) =>
      a >= r.start && a < r.start + r.size;
    expect(map.filter((r) => r.kind === 'ram').some(covers(0xe000ed00))).toBe(true);
    // No acks once no-ack mode is on.
    expect(await w.ask('QStartNoAckMode')).toBe('OK');
    const before = w.sent.length;
    expect(await w.ask('qAttached')).toBe('1');
    expect(w.sent.slice(before).startsWith('+')).toBe(false);
  });

  it('lists flash with its erase block size on the nRF52840', async () => {
    const { server } = nrf();
    const w = new Wire(server);
    const map = unwrap(parseMemoryMap((await w.ask('qXfer:memory-map:read::0,3000')).slice(1)));
    expect(map.find((r) => r.start === 0)).toMatchObject({
      kind: 'flash',
      size: 0x100000,
      blockSize: 4096,
    });
    expect(map.find((r) => r.start === 0x20000000)).toMatchObject({ kind: 'ram', size: 0x40000 });
  });

  it('NAKs a bad checksum, drops an oversized packet, survives a client leaving mid-packet', async () => {
    const { server } = mps2();
    const w = new Wire(server);
    w.raw('$qAttached#00');
    expect(w.sent).toBe('-');
    w.raw(`$m0,4#${checksum('m0,4').toString(16).padStart(2, '0')}`);
    expect(await w.next()).toMatch(/^[0-9a-f]{8}$/);
    // 40 KB without an end: dropped, and the next packet is served.
    w.raw(`$X0,1:${'a'.repeat(40_000)}`);
    expect(w.sent.endsWith('-')).toBe(true);
    expect(await w.ask('qAttached')).toBe('1');
    // A NAK makes the server send its last packet again.
    w.raw('-');
    expect(await w.next()).toBe('1');
    const gone = new Wire(server);
    gone.raw('$m2000000');
    gone.conn.disconnected();
    expect(server.connectionCount).toBe(1);
    expect(await w.ask('m20000000,4')).toBe('00000000');
  });
});

describe('GdbServer state and execution', () => {
  it('reads and writes registers and memory; refuses flash and unmapped writes, target unharmed', async () => {
    const { server, t } = mps2();
    const w = new Wire(server);
    const g = await w.ask('g');
    expect(g).toHaveLength(23 * 8);
    const pc = unwrap(await t.readRegister('pc'));
    expect(g.slice(15 * 8, 16 * 8)).toBe(leWordToHex(pc));
    expect(await w.ask('p0f')).toBe(leWordToHex(pc));
    expect(await w.ask('P3=78563412')).toBe('OK');
    expect(unwrap(await t.readRegister('r3'))).toBe(0x12345678);
    expect(await w.ask('p99')).toMatch(/^E/);
    expect(await w.ask(`M${hex32(VAR)},4:efbeadde`)).toBe('OK');
    expect(await w.ask(`m${hex32(VAR)},4`)).toBe('efbeadde');
    expect(await w.ask(`X${hex32(VAR)},0:`)).toBe('OK');
    expect(await w.ask(`X${hex32(VAR + 4)},2:${String.fromCharCode(0x23, 0x41)}`)).toBe('OK'); // '#' escaped
    expect(await w.ask(`m${hex32(VAR + 4)},2`)).toBe('2341');
    expect(await w.ask('m30000000,4')).toMatch(/^E/); // unmapped on mps2-an386
    expect(await w.ask('M30000000,4:00000000')).toMatch(/^E/);
    expect(await w.ask('M20000000,4:0000')).toMatch(/^E/); // length and data disagree
    expect(await w.ask('Mzz')).toMatch(/^E/);
    expect(await w.ask('g')).toBe(g.slice(0, 3 * 8) + '78563412' + g.slice(4 * 8));
  });

  it('refuses M and X to flash on the nRF52840 and leaves it as it was', async () => {
    const { server, t } = nrf();
    const w = new Wire(server);
    const before = unwrap(await t.readMemory(0, 16));
    expect(await w.ask('M0,4:00000000')).toMatch(/^E/);
    expect(await w.ask('X8,2:\u0000\u0000')).toMatch(/^E/);
    expect(unwrap(await t.readMemory(0, 16))).toEqual(before);
  });

  it('stops on Z0 with swbreak and on Z2 with the data address; steps, range-steps, ^C', async () => {
    const { server, symbol } = mps2();
    const w = new Wire(server);
    await w.ask('qSupported:swbreak+;hwbreak+');
    expect(await w.ask(`Z0,${hex32(symbol('store'))},2`)).toBe('OK');
    const s1 = await w.ask('c');
    expect(s1).toMatch(/^T05swbreak:;thread:1;/);
    expect(s1).toContain(`0f:${leWordToHex(symbol('store'))}`);
    expect(await w.ask(`z0,${hex32(symbol('store'))},2`)).toBe('OK');
    expect(await w.ask(`Z1,${hex32(symbol('after'))},2`)).toBe('OK');
    expect(await w.ask('vCont;c')).toMatch(/^T05hwbreak:;/);
    expect(await w.ask(`z1,${hex32(symbol('after'))},2`)).toBe('OK');
    expect(await w.ask(`Z2,${hex32(VAR)},4`)).toBe('OK');
    const s2 = await w.ask('c');
    const parsed = unwrap(parseStopReply(s2));
    expect(parsed).toMatchObject({
      kind: 'signal',
      signal: 5,
      reason: { kind: 'watch', address: VAR },
    });
    expect(await w.ask(`z2,${hex32(VAR)},4`)).toBe('OK');
    // s and vCont;s: one instruction.
    const pcAfterWatch = symbol('store') + 2;
    expect(await w.ask('s')).toContain(`0f:${leWordToHex(pcAfterWatch + 2)}`);
    expect(await w.ask('vCont;s:1;c')).toContain(`0f:${leWordToHex(symbol('loop'))}`);
    // vCont;r: steps while the PC stays in [loop, after).
    expect(await w.ask(`vCont;r${hex32(symbol('loop'))},${hex32(symbol('after'))}:1;c`)).toContain(
      `0f:${leWordToHex(symbol('after'))}`,
    );
    // Ctrl-C while running: SIGINT.
    w.send('c');
    await new Promise((r) => setTimeout(r, 20));
    w.raw('\x03');
    expect(await w.next()).toMatch(/^T02/);
  });

  it('reverse-steps and reverse-continues (bs/bc), saying where the history begins', async () => {
    const { server, symbol } = mps2();
    const w = new Wire(server);
    await w.ask(`Z0,${hex32(symbol('store'))},2`);
    await w.ask('c');
    await w.ask('c');
    expect(await w.ask('bs')).toContain(`0f:${leWordToHex(symbol('loop'))}`);
    expect(await w.ask('s')).toContain(`0f:${leWordToHex(symbol('store'))}`);
    expect(await w.ask('bc')).toContain(`0f:${leWordToHex(symbol('store'))}`);
    expect(await w.ask('p1')).toBe(leWordToHex(1));
    expect(await w.ask('bc')).toMatch(/replaylog:begin;/);
  });
});

describe('GdbServer flash, monitor and threads', () => {
  it('programs flash through vFlash at vFlashDone, all or nothing', async () => {
    const { server, t } = nrf();
    const w = new Wire(server);
    expect(await w.ask('vFlashErase:1000,1000')).toBe('OK');
    expect(await w.ask(`vFlashWrite:1000:${String.fromCharCode(0x12, 0x34, 0x56)}`)).toBe('OK');
    expect(await w.ask('vFlashDone')).toBe('OK');
    expect(unwrap(await t.readMemory(0x1000, 4))).toEqual(Uint8Array.of(0x12, 0x34, 0x56, 0xff));
    // An image that runs past the end of flash: refused, flash untouched.
    const before = unwrap(await t.readMemory(0xff000, 0x1000));
    expect(await w.ask('vFlashErase:ff000,2000')).toMatch(/^E/);
    expect(await w.ask('vFlashWrite:fffff:ab')).toMatch(/^E/);
    expect(await w.ask('vFlashDone')).toBe('OK');
    expect(unwrap(await t.readMemory(0xff000, 0x1000))).toEqual(before);
    // A write to a page not erased that would need a 0 made 1: nothing changes at all.
    const page = unwrap(await t.readMemory(0x1000, 0x1000));
    expect(await w.ask('vFlashErase:2000,1000')).toBe('OK');
    expect(await w.ask(`vFlashWrite:2000:${String.fromCharCode(1)}`)).toBe('OK');
    expect(await w.ask(`vFlashWrite:1000:${String.fromCharCode(0xff)}`)).toBe('OK');
    expect(await w.ask('vFlashDone')).toMatch(/^E/);
    expect(unwrap(await t.readMemory(0x1000, 0x1000))).toEqual(page);
    expect(unwrap(await t.readMemory(0x2000, 1))).toEqual(Uint8Array.of(0xff));
  });

  it('answers the monitor commands Cortex-Debug sends, and ours', async () => {
    const { server, t, symbol } = mps2();
    const w = new Wire(server);
    const monitor = async (cmd: string): Promise<{ text: string; reply: string }> => {
      w.send(`qRcmd,${textToHex(cmd)}`);
      let text = '';
      for (;;) {
        const p = await w.next();
        if (p.startsWith('O') && p !== 'OK') text += hexToText(p.slice(1));
        else return { text, reply: p };
      }
    };
    await w.ask('s');
    const rh = await monitor('reset halt');
    expect(rh.reply).toBe('OK');
    expect(unwrap(await t.readRegister('pc'))).toBe(symbol('start'));
    expect((await monitor('reset init')).reply).toBe('OK');
    expect((await monitor('halt')).text).toMatch(/halted/);
    const reg = await monitor('reg');
    expect(reg.text).toMatch(/pc \(\/32\): 0x/);
    expect((await monitor('reg r5 0x55')).text).toBe('r5 (/32): 0x00000055\n');
    expect((await monitor('snapshot save a')).reply).toBe('OK');
    await monitor('reg r5 0x66');
    expect((await monitor('snapshot restore a')).reply).toBe('OK');
    expect(unwrap(await t.readRegister('r5'))).toBe(0x55);
    expect((await monitor('snapshot restore nope')).reply).toMatch(/^E/);
    expect((await monitor('trace on 64')).reply).toBe('OK');
    await w.ask(`Z0,${hex32(symbol('after'))},2`);
    await w.ask('c');
    const trace = await monitor('trace show 3');
    expect(trace.text.trim().split('\n')).toHaveLength(3);
    expect(trace.text).toMatch(/ldr|str|adds/);
    expect((await monitor('trace off')).reply).toBe('OK');
    expect((await monitor('tock list')).text).toMatch(/no Tock process table/);
    expect((await monitor('frobnicate')).text).toMatch(/unknown monitor command 'frobnicate'/);
    expect((await monitor('help')).text).toMatch(/reset \[run\|halt\|init\]/);
    expect((await monitor('reset')).reply).toBe('OK');
    expect(t.state()).toBe('running');
  });

  it('lists threads and shows a thread from its saved registers', async () => {
    const saved = { r0: 1, r1: 2, sp: 0x20008000, lr: 0x41, pc: 0x40 };
    const { server } = mps2([
      { id: 2, name: 'blink', extra: 'Yielded', current: false, registers: saved },
      { id: 3, name: 'hello', extra: 'Running', current: false, registers: { pc: 0x80 } },
    ]);
    const w = new Wire(server);
    expect(await w.ask('qfThreadInfo')).toBe('m1,2,3');
    expect(await w.ask('qsThreadInfo')).toBe('l');
    const xml = (await w.ask('qXfer:threads:read::0,1000')).slice(1);
    expect(xml).toContain('<thread id="2" core="0" name="blink">Yielded</thread>');
    expect(await w.ask('T2')).toBe('OK');
    expect(await w.ask('T9')).toMatch(/^E/);
    expect(await w.ask('Hg2')).toBe('OK');
    const g = await w.ask('g');
    expect(g.slice(0, 16)).toBe(leWordToHex(1) + leWordToHex(2));
    expect(g.slice(15 * 8, 16 * 8)).toBe(leWordToHex(0x40));
    expect(g.slice(4 * 8, 5 * 8)).toBe('xxxxxxxx');
    expect(await w.ask('P0=00000000')).toMatch(/^E/); // a saved context is read-only
    expect(hexToText(await w.ask('qThreadExtraInfo,3'))).toBe('hello: Running');
    expect(await w.ask('Hg1')).toBe('OK');
    expect((await w.ask('g')).slice(15 * 8, 16 * 8)).not.toBe(leWordToHex(0x40));
  });
});

describe('GdbServer with several clients', () => {
  it('lets a second client read memory while the first one continues', async () => {
    const { server } = mps2();
    const a = new Wire(server);
    const b = new Wire(server);
    expect(await a.ask('?')).toMatch(/^T/);
    a.send('c');
    await new Promise((r) => setTimeout(r, 10));
    const first = await b.ask(`m${hex32(VAR)},4`);
    await new Promise((r) => setTimeout(r, 10));
    const second = await b.ask(`m${hex32(VAR)},4`);
    expect(first).not.toBe(second); // the counter moved: the target runs
    expect(await b.ask('?')).toMatch(/^T/); // the second client does not halt it
    expect(a.pending).toBe(0);
    // The second one leaves (detach); the first one's run goes on until its ^C.
    expect(await b.ask('D')).toBe('OK');
    a.raw('\x03');
    expect(await a.next()).toMatch(/^T02/);
  });

  it('works with our own GDB client', async () => {
    const { server, symbol } = mps2();
    let conn: ReturnType<GdbServer['connect']> | null = null;
    let onData: (s: string) => void = () => undefined;
    const client = unwrap(
      await GdbRemoteClient.open(
        {
          write: (d) => queueMicrotask(() => conn!.receive(d)),
          close: () => conn!.disconnected(),
          listen(data) {
            onData = data;
            conn = server.connect({
              send: (s) => queueMicrotask(() => onData(s)),
              close: () => undefined,
            });
          },
        },
        {
          timers: {
            setTimeout: (f, ms) => setTimeout(f, ms),
            clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
          },
        },
      ),
    );
    expect(client.noAck).toBe(true);
    expect(client.vCont).toContain('r');
    expect(client.memoryMap?.length).toBeGreaterThan(2);
    unwrap(await client.insertPoint(0, symbol('store'), 2));
    const stop = unwrap(await client.resume({ kind: 'continue' }));
    expect(stop).toMatchObject({ kind: 'signal', signal: 5, reason: { kind: 'swbreak' } });
    expect(unwrap(await client.readMemory(VAR, 4))).toEqual(Uint8Array.of(0, 0, 0, 0));
    const out = unwrap(await client.monitor('reg pc'));
    expect(out).toContain(`0x${symbol('store').toString(16).padStart(8, '0')}`);
    void encodePacket;
  });
});
