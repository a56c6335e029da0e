/**
 * Tests for the semihosting layer against a fake target (flat memory, registers, clock) and an
 * in-memory host, so every operation's parameter block and return convention is checked.
 */
import { describe, expect, it } from 'vitest';
import type { AccessSize, VirtualClock } from '../core/interfaces';
import {
  ADP_STOPPED_APPLICATION_EXIT,
  EBADF,
  ENOENT,
  Semihosting,
  SYS_CLOCK,
  SYS_CLOSE,
  SYS_ELAPSED,
  SYS_ERRNO,
  SYS_EXIT,
  SYS_EXIT_EXTENDED,
  SYS_FLEN,
  SYS_GET_CMDLINE,
  SYS_HEAPINFO,
  SYS_ISTTY,
  SYS_OPEN,
  SYS_READ,
  SYS_READC,
  SYS_SEEK,
  SYS_TICKFREQ,
  SYS_TIME,
  SYS_WRITE,
  SYS_WRITE0,
  SYS_WRITEC,
  type SemihostingHost,
  type SemihostingTarget,
} from './semihosting';
import { MemoryFiles } from './memory-files';

class FakeTarget implements SemihostingTarget {
  mem = new Uint8Array(0x10000);
  regs = new Uint32Array(16);
  halted = false;
  clock: VirtualClock = {
    now: 0,
    frequencyHz: 25_000_000,
    schedule: () => 0,
    scheduleIn: () => 0,
    cancel: () => undefined,
    nextEventAt: () => Infinity,
  };
  readRegister(n: number): number {
    return this.regs[n]!;
  }
  writeRegister(n: number, v: number): void {
    this.regs[n] = v;
  }
  readMemory(a: number, size: AccessSize): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = (v << 8) | this.mem[a + i]!;
    return v >>> 0;
  }
  readBlock(a: number, n: number): Uint8Array {
    return this.mem.slice(a, a + n);
  }
  writeBlock(a: number, d: Uint8Array): void {
    this.mem.set(d, a);
  }
  requestHalt(): void {
    this.halted = true;
  }
  words(a: number, ...ws: number[]): number {
    ws.forEach((w, i) => new DataView(this.mem.buffer).setUint32(a + i * 4, w >>> 0, true));
    return a;
  }
  str(a: number, s: string): number {
    this.mem.set(new TextEncoder().encode(s + '\0'), a);
    return a;
  }
}

function setup(input = '') {
  const out: string[] = [];
  const err: string[] = [];
  const files = new MemoryFiles({ 'data.txt': new TextEncoder().encode('hello file') });
  let pos = 0;
  const host: SemihostingHost = {
    writeConsole: (s, b) => (s === 1 ? out : err).push(new TextDecoder().decode(b)),
    readConsole: () => (pos < input.length ? input.charCodeAt(pos++) : -1),
    files,
    timeSeconds: () => 1_700_000_000.7,
  };
  const semi = new Semihosting(host, {
    cmdline: 'prog -v',
    heapInfo: [0x20001000, 0x20002000, 0x20004000, 0x20003000],
  });
  const t = new FakeTarget();
  const call = (op: number, arg: number): number => {
    t.regs[0] = op;
    t.regs[1] = arg;
    expect(semi.handle(t)).toBe(true);
    return t.regs[0]! | 0;
  };
  return { semi, t, call, out, err, files };
}

describe('Semihosting', () => {
  it('writes characters and strings to the console', () => {
    const { t, call, out } = setup();
    t.mem[0x100] = 0x41;
    call(SYS_WRITEC, 0x100);
    call(SYS_WRITE0, t.str(0x200, 'hi there'));
    expect(out.join('')).toBe('Ahi there');
  });

  it('opens :tt for stdout/stderr/stdin and reads, writes, istty', () => {
    const { t, call, out, err } = setup('ab\ncd');
    const tt = t.str(0x300, ':tt');
    const hIn = call(SYS_OPEN, t.words(0x400, tt, 0, 3));
    const hOut = call(SYS_OPEN, t.words(0x410, tt, 4, 3));
    const hErr = call(SYS_OPEN, t.words(0x420, tt, 8, 3));
    expect([hIn, hOut, hErr].every((h) => h > 0)).toBe(true);
    t.str(0x500, 'xyz');
    expect(call(SYS_WRITE, t.words(0x430, hOut, 0x500, 3))).toBe(0);
    expect(call(SYS_WRITE, t.words(0x430, hErr, 0x500, 2))).toBe(0);
    expect(out.join('')).toBe('xyz');
    expect(err.join('')).toBe('xy');
    // A console read stops at end of line: 3 of 10 bytes delivered, 7 not filled.
    expect(call(SYS_READ, t.words(0x440, hIn, 0x600, 10))).toBe(7);
    expect(new TextDecoder().decode(t.mem.subarray(0x600, 0x603))).toBe('ab\n');
    expect(call(SYS_READC, 0)).toBe('c'.charCodeAt(0));
    expect(call(SYS_ISTTY, t.words(0x450, hOut))).toBe(1);
    expect(call(SYS_CLOSE, t.words(0x460, hOut))).toBe(0);
    expect(call(SYS_CLOSE, t.words(0x460, hOut))).toBe(-1);
    expect(call(SYS_ERRNO, 0)).toBe(EBADF);
  });

  it('reads, seeks and measures host files; reports missing ones', () => {
    const { t, call, files } = setup();
    const h = call(SYS_OPEN, t.words(0x400, t.str(0x300, 'data.txt'), 1, 8));
    expect(h).toBeGreaterThan(0);
    expect(call(SYS_FLEN, t.words(0x410, h))).toBe(10);
    expect(call(SYS_ISTTY, t.words(0x410, h))).toBe(0);
    expect(call(SYS_SEEK, t.words(0x420, h, 6))).toBe(0);
    expect(call(SYS_READ, t.words(0x430, h, 0x600, 8))).toBe(4);
    expect(new TextDecoder().decode(t.mem.subarray(0x600, 0x604))).toBe('file');
    expect(call(SYS_OPEN, t.words(0x440, t.str(0x300, 'nope.bin'), 0, 8))).toBe(-1);
    expect(call(SYS_ERRNO, 0)).toBe(ENOENT);
    const w = call(SYS_OPEN, t.words(0x450, t.str(0x300, 'new.bin'), 4, 7));
    t.str(0x700, 'abc');
    expect(call(SYS_WRITE, t.words(0x460, w, 0x700, 3))).toBe(0);
    expect(new TextDecoder().decode(files.contents('new.bin'))).toBe('abc');
  });

  it('serves the semihosting features file', () => {
    const { t, call } = setup();
    const h = call(SYS_OPEN, t.words(0x400, t.str(0x300, ':semihosting-features'), 0, 21));
    expect(call(SYS_FLEN, t.words(0x410, h))).toBe(5);
    expect(call(SYS_READ, t.words(0x420, h, 0x600, 5))).toBe(0);
    expect(Array.from(t.mem.subarray(0x600, 0x605))).toEqual([0x53, 0x48, 0x46, 0x42, 3]);
  });

  it('reports time from the virtual clock and the host', () => {
    const { t, call } = setup();
    (t.clock as { now: number }).now = 50_000_000; // 2 s at 25 MHz
    expect(call(SYS_CLOCK, 0)).toBe(200);
    expect(call(SYS_TIME, 0)).toBe(1_700_000_000);
    expect(call(SYS_TICKFREQ, 0)).toBe(25_000_000);
    expect(call(SYS_ELAPSED, 0x800)).toBe(0);
    expect(t.readMemory(0x800, 4)).toBe(50_000_000);
    expect(t.readMemory(0x804, 4)).toBe(0);
  });

  it('answers GET_CMDLINE and HEAPINFO', () => {
    const { t, call } = setup();
    expect(call(SYS_GET_CMDLINE, t.words(0x400, 0x600, 64))).toBe(0);
    expect(new TextDecoder().decode(t.mem.subarray(0x600, 0x607))).toBe('prog -v');
    expect(t.readMemory(0x404, 4)).toBe(7);
    expect(call(SYS_GET_CMDLINE, t.words(0x400, 0x600, 4))).toBe(-1);
    t.words(0x500, 0x700);
    expect(call(SYS_HEAPINFO, 0x500)).toBe(0);
    expect(t.readMemory(0x700, 4)).toBe(0x20001000);
    expect(t.readMemory(0x70c, 4)).toBe(0x20003000);
  });

  it('exits with status 0 for ApplicationExit, 1 otherwise, and the extended code', () => {
    let s = setup();
    s.call(SYS_EXIT, ADP_STOPPED_APPLICATION_EXIT);
    expect(s.semi.exitCode).toBe(0);
    expect(s.t.halted).toBe(true);
    s = setup();
    s.call(SYS_EXIT, 0x20023);
    expect(s.semi.exitCode).toBe(1);
    s = setup();
    s.call(SYS_EXIT_EXTENDED, s.t.words(0x400, ADP_STOPPED_APPLICATION_EXIT, 42));
    expect(s.semi.exitCode).toBe(42);
  });

  it('fails unknown operations with -1 and snapshots console handles', () => {
    const { semi, t, call } = setup();
    expect(call(0x99, 0)).toBe(-1);
    const h = call(SYS_OPEN, t.words(0x400, t.str(0x300, ':tt'), 4, 3));
    const snap = structuredClone(semi.snapshot());
    semi.reset();
    expect(call(SYS_ISTTY, t.words(0x410, h))).toBe(-1);
    semi.restore(snap);
    expect(call(SYS_ISTTY, t.words(0x410, h))).toBe(1);
  });
});
