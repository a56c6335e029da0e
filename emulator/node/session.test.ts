/**
 * Session tests (here, beside the Node adapters, because they build images with GNU as): loading, stepping, registers and memory, UART events, slices in virtual time,
 * deterministic snapshot/restore, BusFault on unmapped access, the one-line report of a fault
 * handler that never returns, and load errors.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { assemble } from '../../tests/lockstep/assemble';
import { createSession, type EmulatorSession } from '../session/session';

const HEADER = [
  '.syntax unified',
  '.thumb',
  '.section .vectors, "a"',
  '.word 0x20010000',
  '.word start',
  '.rept 14',
  '.word fault',
  '.endr',
  '.text',
  '.thumb_func',
  'start:',
];
const FOOTER = ['.thumb_func', 'fault: mrs r7, ipsr', 'b .', '.ltorg', ''];

function build(name: string, body: string[]): Uint8Array {
  const r = assemble(`session-${name}`, [...HEADER, ...body, ...FOOTER].join('\n'));
  if (!r.ok) throw new Error(r.error);
  return new Uint8Array(readFileSync(r.value));
}

function session(opts: { semihosting?: boolean } = {}): EmulatorSession {
  const s = createSession({ machine: 'mps2-an386', ...opts });
  if (!s.ok) throw new Error(s.error);
  return s.value;
}

const COUNTER = [
  'ldr r0, =0x40004000',
  'movs r1, #1',
  'str r1, [r0, #8]',
  'movs r2, #0',
  '1: adds r2, #1',
  'uxtb r3, r2',
  'str r3, [r0]',
  'b 1b',
];

describe('EmulatorSession', () => {
  it('loads, steps and exposes registers and memory', () => {
    const s = session();
    const loaded = s.load(
      build('basic', ['movs r0, #42', 'ldr r1, =0x20000100', 'str r0, [r1]', 'b .']),
    );
    expect(loaded.ok).toBe(true);
    expect(s.readRegister(13)).toBe(0x20010000);
    s.step();
    expect(s.readRegister(0)).toBe(42);
    s.step();
    s.step();
    const m = s.readMemory(0x20000100, 4);
    expect(m.ok && Array.from(m.value)).toEqual([42, 0, 0, 0]);
    s.writeRegister(0, 7);
    expect(s.readRegister(0)).toBe(7);
    expect(s.writeMemory(0x20000104, Uint8Array.of(1, 2)).ok).toBe(true);
    expect(s.readWord(0x20000104, 2)).toEqual({ ok: true, value: 0x0201 });
    expect(s.readMemory(0x60000000, 4).ok).toBe(false);
  });

  it('emits UART bytes and runs slices bounded by virtual time', () => {
    const s = session();
    const bytes: number[] = [];
    s.on((e) => e.kind === 'uart' && bytes.push(e.byte));
    s.load(build('counter', COUNTER));
    s.runSlice({ instructions: 1000, untilCycle: 200 });
    expect(s.cycles).toBeGreaterThanOrEqual(200);
    expect(s.cycles).toBeLessThan(260);
    expect(bytes.length).toBeGreaterThan(10);
    expect(bytes.slice(0, 3)).toEqual([1, 2, 3]);
  });

  it('restores a snapshot and replays the same run', () => {
    const s = session();
    const out: number[] = [];
    s.on((e) => e.kind === 'uart' && out.push(e.byte));
    s.load(build('counter', COUNTER));
    s.runSlice({ instructions: 500 });
    const snap = structuredClone(s.snapshot());
    out.length = 0;
    s.runSlice({ instructions: 700 });
    const first = [...out];
    const regs = Array.from({ length: 16 }, (_, i) => s.readRegister(i));
    s.restore(snap);
    out.length = 0;
    s.runSlice({ instructions: 700 });
    expect(out).toEqual(first);
    expect(Array.from({ length: 16 }, (_, i) => s.readRegister(i))).toEqual(regs);
  });

  it('raises BusFault (escalated to HardFault) on an unmapped access', () => {
    const s = session();
    s.load(build('busfault', ['mov r0, #0x60000000', 'ldr r1, [r0]', 'b .']));
    s.runSlice({ instructions: 20 });
    expect(s.readRegister(7)).toBe(3); // HardFault: BusFault not enabled
    expect(s.readWord(0xe000ed38).ok && s.readWord(0xe000ed38)).toEqual({
      ok: true,
      value: 0x60000000,
    });
  });

  it('says once when a fault handler spins, naming the fault in words, without changing the run', () => {
    const image = build('hang', [
      'mov r0, #0x60000000',
      '.global poke',
      '.type poke, %function',
      'poke: ldr r1, [r0]',
      'b .',
    ]);
    const quiet = session();
    quiet.load(image);
    quiet.runSlice({ instructions: 5_000_000 });
    const s = session();
    const said: string[] = [];
    s.on((e) => e.kind === 'diagnostic' && said.push(e.message));
    s.load(image);
    for (let i = 0; i < 5; i++) s.runSlice({ instructions: 1_000_000 });
    expect(said).toEqual([
      expect.stringMatching(
        /^HardFault \(escalated from precise BusFault at 0x60000000, pc 0x[0-9a-f]+ in poke\); the firmware's handler spins at pc 0x[0-9a-f]+ in fault\+0x4 and has not returned$/,
      ),
    ]);
    expect(s.cycles).toBe(quiet.cycles);
    expect(s.readRegister(15)).toBe(quiet.readRegister(15));
  });

  it('says nothing about a fault its handler recovers from', () => {
    // The handler skips the faulting 2-byte load and returns; the program then counts.
    const s = session();
    const said: string[] = [];
    s.on((e) => e.kind === 'diagnostic' && said.push(e.message));
    const r = assemble(
      'session-recover',
      [
        '.syntax unified',
        '.thumb',
        '.section .vectors, "a"',
        '.word 0x20010000',
        '.word start',
        '.word 0',
        '.word recover',
        '.text',
        '.thumb_func',
        'start:',
        'mov r0, #0x60000000',
        'ldr r1, [r0]',
        'movs r2, #0',
        '1: adds r2, #1',
        'b 1b',
        '.thumb_func',
        'recover: ldr r3, [sp, #24]',
        'adds r3, #2',
        'str r3, [sp, #24]',
        'bx lr',
        '',
      ].join('\n'),
    );
    if (!r.ok) throw new Error(r.error);
    s.load(new Uint8Array(readFileSync(r.value)));
    for (let i = 0; i < 4; i++) s.runSlice({ instructions: 2_000_000 });
    expect(s.readRegister(2)).toBeGreaterThan(1000);
    expect(said).toEqual([]);
  });

  it('exits through semihosting and pauses on request', () => {
    const s = session({ semihosting: true });
    const text: string[] = [];
    s.on((e) => e.kind === 'console' && text.push(new TextDecoder().decode(e.bytes)));
    s.load(
      build('semi', [
        'ldr r1, =msg',
        'movs r0, #4',
        'bkpt 0xab',
        'movs r0, #0x18',
        'ldr r1, =0x20026',
        'bkpt 0xab',
        'b .',
        '.align 2',
        'msg: .asciz "ok\\n"',
      ]),
    );
    const r = s.runSlice({ instructions: 100 });
    expect(r).toEqual({ kind: 'exit', code: 0 });
    expect(text.join('')).toBe('ok\n');
    const p = session();
    p.load(build('counter', COUNTER));
    p.pause();
    expect(p.runSlice({ instructions: 1000 }).kind).toBe('halted');
  });

  // Issue 12: no device model bug may hang the host; the clock reports it through the session.
  it('reports a device that re-arms at the present cycle and keeps running the core', () => {
    const s = session();
    expect(s.load(build('spin-guard', ['1: adds r0, #1', 'b 1b'])).ok).toBe(true);
    const diagnostics: string[] = [];
    s.on((e) => e.kind === 'diagnostic' && diagnostics.push(e.message));
    let runs = 0;
    const clock = s.core.clock;
    const rearm = (): void => {
      clock.schedule(
        clock.now,
        () => {
          runs++;
          if (runs < 200_000) rearm();
        },
        'broken device',
      );
    };
    rearm();
    expect(s.runSlice({ instructions: 1000 })).toEqual({ kind: 'limit' });
    expect(s.instructions).toBe(1000);
    // 64 at the start, then at most one per cycle.
    expect(runs).toBeLessThanOrEqual(64 + s.cycles + 1);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatch(/clock: broken device scheduled more than 64 events/);
  });

  it('refuses images it cannot place and names unknown machines', () => {
    expect(createSession({ machine: 'lm3s6965' })).toEqual({
      ok: false,
      error: "unknown machine 'lm3s6965' (known: mps2-an386, nrf52840dk, microbit-v2)",
    });
    const s = session();
    // Move the first program header's load address to 0x60000000, where nothing decodes.
    const elf = build('basic', ['movs r0, #42', 'b .']).slice();
    const v = new DataView(elf.buffer);
    const ph = v.getUint32(28, true);
    v.setUint32(ph + 12, 0x60000000, true);
    const r = s.load(elf);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(
      /image segment 0 at 0x60000000 \(\d+ bytes\) is outside mps2-an386's programmable memory/,
    );
    expect(s.load(Uint8Array.from([1, 2, 3]))).toEqual({
      ok: false,
      error: 'image: not an ELF file: truncated (3 bytes)',
    });
  });
});
