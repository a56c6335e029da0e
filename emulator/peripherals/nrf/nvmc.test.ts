/**
 * NVMC (nRF52840 PS "NVMC — Non-volatile memory controller"), driven through a real Bus so the
 * flash and UICR regions behave as the machine maps them: writes only clear bits and need
 * CONFIG.WEN=Wen, byte writes fault, erases need Een and restore 0xFF, READY reads 0 for the
 * operation's time.
 */
import { describe, expect, it } from 'vitest';
import { BusErrorSignal } from '../../core/interfaces';
import { Bus } from '../../core/memory/bus';
import { TestClock, TestLines } from '../test-clock';
import { expandRegisters } from './registers';
import {
  NVMC_BASE,
  NVMC_REGISTERS,
  Nvmc,
  T_ERASEALL_US,
  T_ERASEPAGE_US,
  T_WRITE_US,
  WEN_EEN,
  WEN_REN,
  WEN_WEN,
} from './nvmc';

const FLASH_SIZE = 64 * 1024;
const UICR = 0x10001000;

function setup() {
  const clock = new TestClock(64_000_000);
  const bus = new Bus();
  const invalidated: [number, number][] = [];
  // The ROM handlers are installed before the NVMC exists, as in the machine.
  const ref: { nvmc?: Nvmc } = {};
  const flash = bus.mapRom(0, FLASH_SIZE, 'flash', (o, s, v) => ref.nvmc!.flashWrite(o, s, v));
  const uicr = bus.mapRom(UICR, 0x1000, 'uicr', (o, s, v) => ref.nvmc!.uicrWrite(o, s, v));
  flash.fill(0xff);
  uicr.fill(0xff);
  const nvmc = new Nvmc(
    {
      clock,
      irq: new TestLines(),
      dma: { read: () => new Uint8Array(0), write: () => undefined, inRam: () => false },
    },
    {
      flash,
      uicr,
      invalidate: (a, n) => {
        invalidated.push([a, n]);
        bus.invalidate(a, n);
      },
    },
  );
  ref.nvmc = nvmc;
  bus.mapDevice(NVMC_BASE, 0x800, nvmc);
  const us = (n: number): number => Math.round(n * 64);
  return { clock, bus, nvmc, flash, uicr, invalidated, us };
}

describe('Nvmc', () => {
  it('reads its reset values (every readable register of NVMC_REGISTERS)', () => {
    const { bus } = setup();
    for (const r of expandRegisters(NVMC_REGISTERS)) {
      if (r.access === 'write-only') continue;
      expect(bus.read(NVMC_BASE + r.offset, 4), r.name).toBe(r.reset);
    }
  });

  it('ignores a flash write while CONFIG.WEN is Ren and counts it (PS: write needs Wen)', () => {
    const { bus, nvmc } = setup();
    bus.write(0x1000, 4, 0x12345678);
    expect(bus.read(0x1000, 4)).toBe(0xffffffff);
    expect(nvmc.ignoredWrites).toBe(1);
    expect(nvmc.lastIgnoredAddress).toBe(0x1000);
    bus.write(NVMC_BASE + 0x504, 4, WEN_EEN); // erase mode does not allow writes either
    bus.write(0x1004, 4, 0);
    expect(bus.read(0x1004, 4)).toBe(0xffffffff);
    expect(nvmc.ignoredWrites).toBe(2);
  });

  it('programs a word with Wen; a second write can only clear more bits', () => {
    const { bus } = setup();
    bus.write(NVMC_BASE + 0x504, 4, WEN_WEN);
    bus.write(0x2000, 4, 0xf0f0ff00);
    expect(bus.read(0x2000, 4)).toBe(0xf0f0ff00);
    bus.write(0x2000, 4, 0x0ff0f0ff);
    expect(bus.read(0x2000, 4)).toBe(0x00f0f000);
    bus.write(0x2000, 4, 0xffffffff); // cannot set bits back to 1
    expect(bus.read(0x2000, 4)).toBe(0x00f0f000);
  });

  it('faults a byte or halfword flash write in write mode (PS: "will result in a hard fault")', () => {
    const { bus } = setup();
    bus.write(NVMC_BASE + 0x504, 4, WEN_WEN);
    expect(() => bus.write(0x3001, 1, 0)).toThrow(BusErrorSignal);
    expect(() => bus.write(0x3002, 2, 0)).toThrow(/whole aligned words/);
    expect(bus.read(0x3000, 4)).toBe(0xffffffff);
  });

  it('reads READY=0 for tWRITE after a word write, then 1', () => {
    const { bus, clock, us } = setup();
    bus.write(NVMC_BASE + 0x504, 4, WEN_WEN);
    bus.write(0x100, 4, 0);
    expect(bus.read(NVMC_BASE + 0x400, 4)).toBe(0);
    expect(bus.read(NVMC_BASE + 0x408, 4)).toBe(0);
    clock.advance(us(T_WRITE_US) - 1);
    expect(bus.read(NVMC_BASE + 0x400, 4)).toBe(0);
    clock.advance(1);
    expect(bus.read(NVMC_BASE + 0x400, 4)).toBe(1);
  });

  it('erases one page to 0xFF with Een and ERASEPAGE; READY is 0 for tERASEPAGE', () => {
    const { bus, clock, flash, invalidated, us } = setup();
    bus.write(NVMC_BASE + 0x504, 4, WEN_WEN);
    for (const a of [0x0ffc, 0x1000, 0x1ffc, 0x2000]) bus.write(a, 4, 0);
    bus.write(NVMC_BASE + 0x504, 4, WEN_EEN);
    clock.advance(us(100));
    bus.write(NVMC_BASE + 0x508, 4, 0x1000);
    expect(flash.subarray(0x1000, 0x2000).every((b) => b === 0xff)).toBe(true);
    expect(bus.read(0x0ffc, 4)).toBe(0); // neighbours untouched
    expect(bus.read(0x2000, 4)).toBe(0);
    expect(invalidated).toEqual([[0x1000, 0x1000]]);
    expect(bus.read(NVMC_BASE + 0x400, 4)).toBe(0);
    clock.advance(us(T_ERASEPAGE_US) - 1);
    expect(bus.read(NVMC_BASE + 0x400, 4)).toBe(0);
    clock.advance(1);
    expect(bus.read(NVMC_BASE + 0x400, 4)).toBe(1);
  });

  it('erases through the deprecated ERASEPCR1 (same offset) and ERASEPCR0 aliases', () => {
    const { bus } = setup();
    bus.write(NVMC_BASE + 0x504, 4, WEN_WEN);
    bus.write(0x4000, 4, 0);
    bus.write(0x5000, 4, 0);
    bus.write(NVMC_BASE + 0x504, 4, WEN_EEN);
    bus.write(NVMC_BASE + 0x510, 4, 0x4000);
    expect(bus.read(0x4000, 4)).toBe(0xffffffff);
    expect(bus.read(0x5000, 4)).toBe(0);
  });

  it('does not erase without Een, nor an address that is not a flash page start', () => {
    const { bus, nvmc } = setup();
    bus.write(NVMC_BASE + 0x504, 4, WEN_WEN);
    bus.write(0x1000, 4, 0);
    bus.write(NVMC_BASE + 0x508, 4, 0x1000); // still in Wen mode
    expect(bus.read(0x1000, 4)).toBe(0);
    expect(nvmc.lastIgnored?.reason).toMatch(/not Een/);
    bus.write(NVMC_BASE + 0x504, 4, WEN_EEN);
    bus.write(NVMC_BASE + 0x508, 4, 0x1004);
    expect(bus.read(0x1000, 4)).toBe(0);
    expect(nvmc.lastIgnored?.reason).toMatch(/not the start of a flash page/);
    bus.write(NVMC_BASE + 0x508, 4, FLASH_SIZE); // beyond this flash
    expect(nvmc.lastIgnored?.address).toBe(FLASH_SIZE);
    expect(nvmc.ignoredWrites).toBe(0); // only refused programming counts as an ignored write
  });

  it('writes the UICR like flash and erases it with ERASEUICR', () => {
    const { bus } = setup();
    bus.write(NVMC_BASE + 0x504, 4, WEN_WEN);
    bus.write(UICR + 0x200, 4, 18); // PSELRESET[0]
    expect(bus.read(UICR + 0x200, 4)).toBe(18);
    bus.write(NVMC_BASE + 0x504, 4, WEN_EEN);
    bus.write(NVMC_BASE + 0x514, 4, 1);
    expect(bus.read(UICR + 0x200, 4)).toBe(0xffffffff);
  });

  it('erases all flash and the UICR with ERASEALL; READY is 0 for tERASEALL', () => {
    const { bus, clock, flash, uicr, us } = setup();
    bus.write(NVMC_BASE + 0x504, 4, WEN_WEN);
    bus.write(0x0, 4, 0);
    bus.write(FLASH_SIZE - 4, 4, 0);
    bus.write(UICR + 0x80, 4, 0);
    bus.write(NVMC_BASE + 0x504, 4, WEN_EEN);
    bus.write(NVMC_BASE + 0x50c, 4, 1);
    expect(flash.every((b) => b === 0xff)).toBe(true);
    expect(uicr.every((b) => b === 0xff)).toBe(true);
    clock.advance(us(T_ERASEPAGE_US));
    expect(bus.read(NVMC_BASE + 0x400, 4)).toBe(0);
    clock.advance(us(T_ERASEALL_US - T_ERASEPAGE_US));
    expect(bus.read(NVMC_BASE + 0x400, 4)).toBe(1);
  });

  it('erases a page by partial erases once their durations add up to tERASEPAGE', () => {
    const { bus } = setup();
    bus.write(NVMC_BASE + 0x504, 4, WEN_WEN);
    bus.write(0x6000, 4, 0);
    bus.write(NVMC_BASE + 0x504, 4, WEN_EEN);
    expect(bus.read(NVMC_BASE + 0x51c, 4)).toBe(10);
    bus.write(NVMC_BASE + 0x51c, 4, 20);
    for (let i = 0; i < 4; i++) {
      bus.write(NVMC_BASE + 0x518, 4, 0x6000); // 20, 40, 60, 80 ms
      expect(bus.read(0x6000, 4)).toBe(0);
    }
    bus.write(NVMC_BASE + 0x518, 4, 0x6000); // 100 ms >= 85 ms
    expect(bus.read(0x6000, 4)).toBe(0xffffffff);
  });

  it('restores a snapshot (plain data) with the busy time and the ignored-write record', () => {
    const { bus, nvmc, clock, us } = setup();
    bus.write(0x10, 4, 0); // ignored
    bus.write(NVMC_BASE + 0x504, 4, WEN_EEN);
    bus.write(NVMC_BASE + 0x508, 4, 0);
    bus.write(NVMC_BASE + 0x540, 4, 1);
    const snap = structuredClone(nvmc.snapshot());
    nvmc.reset();
    expect(bus.read(NVMC_BASE + 0x504, 4)).toBe(WEN_REN);
    expect(bus.read(NVMC_BASE + 0x400, 4)).toBe(1);
    nvmc.restore(snap);
    expect(bus.read(NVMC_BASE + 0x504, 4)).toBe(WEN_EEN);
    expect(bus.read(NVMC_BASE + 0x540, 4)).toBe(1);
    expect(bus.read(NVMC_BASE + 0x400, 4)).toBe(0);
    expect(nvmc.ignoredWrites).toBe(1);
    clock.advance(us(T_ERASEPAGE_US));
    expect(bus.read(NVMC_BASE + 0x400, 4)).toBe(1);
  });

  it('rejects flash that is not whole pages', () => {
    const clock = new TestClock(64_000_000);
    const ctx = {
      clock,
      irq: new TestLines(),
      dma: { read: () => new Uint8Array(0), write: () => undefined, inRam: () => false },
    };
    expect(
      () =>
        new Nvmc(ctx, {
          flash: new Uint8Array(100),
          uicr: new Uint8Array(4096),
          invalidate: () => undefined,
        }),
    ).toThrow(/4 KiB pages/);
  });
});
