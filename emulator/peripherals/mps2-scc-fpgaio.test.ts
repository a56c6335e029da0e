/** Tests for the MPS2 SCC identification/config registers and the FPGAIO counters and LEDs. */
import { describe, expect, it } from 'vitest';
import {
  Mps2Fpgaio,
  FPGAIO_BUTTON,
  FPGAIO_CLK100HZ,
  FPGAIO_CLK1HZ,
  FPGAIO_COUNTER,
  FPGAIO_LED0,
  FPGAIO_PRESCALE,
  FPGAIO_PSCNTR,
} from './mps2-fpgaio';
import {
  CFGCTRL_START,
  Mps2Scc,
  SCC_AID,
  SCC_CFG0,
  SCC_CFG4,
  SCC_CFGCTRL,
  SCC_CFGSTAT,
  SCC_ID,
} from './mps2-scc';
import { TestClock } from './test-clock';

describe('Mps2Scc', () => {
  it('identifies the AN386 image and completes config transactions', () => {
    const scc = new Mps2Scc('scc');
    expect(scc.read(SCC_ID, 4)).toBe(0x41043860);
    expect(scc.read(SCC_AID, 4)).toBe(0x00200008);
    expect(scc.read(SCC_CFG4, 4)).toBe(2);
    scc.write(SCC_CFG0, 4, 5);
    expect(scc.read(SCC_CFG0, 4)).toBe(5);
    scc.write(SCC_CFGCTRL, 4, (CFGCTRL_START | 0x1234) >>> 0);
    expect(scc.read(SCC_CFGCTRL, 4)).toBe(0x1234);
    expect(scc.read(SCC_CFGSTAT, 4) & 1).toBe(1);
  });
});

describe('Mps2Fpgaio', () => {
  it('keeps LEDs and buttons and counts time from the virtual clock', () => {
    const clock = new TestClock(25_000_000);
    const io = new Mps2Fpgaio('fpgaio', clock);
    io.write(FPGAIO_LED0, 4, 0xff);
    expect(io.read(FPGAIO_LED0, 4)).toBe(3);
    io.setButtons(2);
    expect(io.read(FPGAIO_BUTTON, 4)).toBe(2);
    clock.advance(25_000_000 * 2.5);
    expect(io.read(FPGAIO_CLK1HZ, 4)).toBe(2);
    expect(io.read(FPGAIO_CLK100HZ, 4)).toBe(250);
    io.write(FPGAIO_CLK1HZ, 4, 100);
    clock.advance(25_000_000);
    expect(io.read(FPGAIO_CLK1HZ, 4)).toBe(101);
  });

  it('counts prescaler periods in COUNTER', () => {
    const clock = new TestClock(25_000_000);
    const io = new Mps2Fpgaio('fpgaio', clock);
    io.write(FPGAIO_PRESCALE, 4, 9);
    clock.advance(35);
    expect(io.read(FPGAIO_COUNTER, 4)).toBe(3);
    expect(io.read(FPGAIO_PSCNTR, 4)).toBe(4);
  });
});
