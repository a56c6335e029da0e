/**
 * The emulated nRF52's JTAG debug port driven bit by bit through remote_bitbang bytes: TAP
 * states, JTAG-DP scans and CTRL/STAT, the AHB-AP's transfers, the CTRL-AP, and the core's
 * halting-debug registers as a debugger uses them (halt, core registers, step, breakpoints,
 * reset vector catch). OpenOCD itself runs against the same stack in
 * tests/openocd/remote-bitbang.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createSession, type EmulatorSession } from '../../session/session';
import { IR } from './jtag-dp';
import { NRF52_JTAG_IDCODE, Nrf52Dap, nrf52DapChipOf } from './nrf52-dap';
import { JtagTap, TapState, type JtagDevice, toBits } from './tap';
import { BitbangHost } from './testing/bitbang-host';

const DHCSR = 0xe000edf0;
const DCRSR = 0xe000edf4;
const DCRDR = 0xe000edf8;
const DEMCR = 0xe000edfc;
const DFSR = 0xe000ed30;
const AIRCR = 0xe000ed0c;
const FP_CTRL = 0xe0002000;
const FP_COMP0 = 0xe0002008;
const KEY = 0xa05f0000;

/** Vector table, then at 0x100: movs r0,#0; loop: adds r0,#1; b loop. */
function image(loop = 0x3001): Uint8Array {
  const b = new Uint8Array(0x108);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0x20010000, true);
  dv.setUint32(4, 0x101, true);
  dv.setUint16(0x100, 0x2000, true);
  dv.setUint16(0x102, loop, true);
  dv.setUint16(0x104, 0xe7fd, true);
  return b;
}

/** `image(WFI)`: the loop sleeps in WFI forever (no interrupt is enabled). */
const WFI = 0xbf30;

function setup(bytes = image()): { s: EmulatorSession; dap: Nrf52Dap; host: BitbangHost } {
  const c = createSession({ machine: 'nrf52840dk' });
  if (!c.ok) throw new Error(c.error);
  const s = c.value;
  const loaded = s.loadFiles([{ name: 'loop.bin', bytes, address: 0 }]);
  if (!loaded.ok) throw new Error(loaded.error);
  const chip = nrf52DapChipOf(s);
  if (!chip.ok) throw new Error(chip.error);
  const dap = new Nrf52Dap(chip.value);
  const host = new BitbangHost((bytes) => {
    const r = dap.bitbang.feed(bytes);
    if (r.error) throw new Error(r.error);
    return r.reply;
  });
  host.resetTap();
  return { s, dap, host };
}

describe('JTAG TAP', () => {
  it('walks the IEEE 1149.1 state diagram and shifts registers LSB first, passing extra bits through', () => {
    const captured: number[][] = [];
    const device: JtagDevice = {
      irLength: 4,
      irCapture: 1,
      resetInstruction: 0xe,
      dataRegister: () => ({
        length: 8,
        capture: () => toBits(0xa5, 8),
        update: (bits) => captured.push([...bits]),
      }),
    };
    const tap = new JtagTap(device);
    expect(tap.tapState).toBe(TapState.TestLogicReset);
    tap.clock(0, 0);
    expect(tap.tapState).toBe(TapState.RunTestIdle);
    tap.clock(1, 0); // Select-DR
    tap.clock(0, 0); // Capture-DR
    tap.clock(0, 0); // Shift-DR
    const out: number[] = [];
    // Shift 10 bits (two more than the register): the first two shifted in come out last.
    const input = [1, 1, 0, 0, 1, 0, 1, 0, 1, 1];
    input.forEach((b, i) => {
      out.push(tap.tdo());
      tap.clock(i === input.length - 1 ? 1 : 0, b);
    });
    expect(out).toEqual([1, 0, 1, 0, 0, 1, 0, 1, 1, 1]);
    tap.clock(1, 0); // Update-DR
    expect(captured).toEqual([[0, 0, 1, 0, 1, 0, 1, 1]]);
    for (let i = 0; i < 5; i++) tap.clock(1, 0);
    expect(tap.tapState).toBe(TapState.TestLogicReset);
    expect(tap.currentInstruction).toBe(0xe);
  });
});

describe('JTAG-DP', () => {
  it('captures IR 0001, reads IDCODE at reset and after the IDCODE instruction, bypasses unknown instructions', () => {
    const { host } = setup();
    // After Test-Logic-Reset the IDCODE instruction is selected: a DR scan reads it.
    expect(host.scanDr(new Array<number>(32).fill(0)).reduceRight((v, b) => v * 2 + b, 0)).toBe(
      NRF52_JTAG_IDCODE,
    );
    expect(host.scanIr(IR.BYPASS)).toEqual([1, 0, 0, 0]);
    expect(host.readIdcode()).toBe(0x4ba00477);
    host.scanIr(0b0011); // reserved: BYPASS, a 1-bit register capturing 0
    expect(host.scanDr([1, 1, 0])).toEqual([0, 1, 1]);
  });

  it('completes the power-up handshake, keeps SELECT, and reports AP errors through sticky STICKYERR (write one to clear)', () => {
    const { host } = setup();
    expect(host.dpRead(0x4)).toBe(0);
    // With the domains off, the AHB-AP makes no bus transfer.
    host.apWrite(0, 0x04, 0x20000000);
    host.apRead(0, 0x0c);
    expect(host.dpRead(0x4) & 0x20).toBe(0x20);
    host.dpWrite(0x4, 0x20);
    expect(host.powerUp() >>> 0).toBe(0xf0000000);
    expect(host.dpRead(0x8)).toBe(0); // SELECT as the last AP access (AP 0, bank 0) left it
    host.dpWrite(0x8, 0x010000f0);
    expect(host.dpRead(0x8) >>> 0).toBe(0x010000f0);
    // A read from an address nothing decodes: STICKYERR, cleared by writing 1.
    expect(host.read32(0x30000000)).toBe(0);
    expect(host.dpRead(0x4) & 0x20).toBe(0x20);
    host.dpWrite(0x4, 0x50000020);
    expect(host.dpRead(0x4) & 0x20).toBe(0);
    expect(host.waits).toBe(0);
  });
});

describe('AHB-AP', () => {
  it('identifies itself and the ROM table, whose entries and component IDs describe the Cortex-M4', () => {
    const { host } = setup();
    host.powerUp();
    expect(host.apRead(0, 0xfc) >>> 0).toBe(0x24770011);
    expect(host.apRead(0, 0xf8) >>> 0).toBe(0xe00ff003);
    expect(host.apRead(0, 0xf4)).toBe(0);
    const entries = [0, 4, 8, 12, 16, 20, 24].map((o) => host.read32(0xe00ff000 + o) >>> 0);
    expect(entries).toEqual([
      0xfff0f003, 0xfff02003, 0xfff03003, 0xfff01003, 0xfff41003, 0xfff42003, 0,
    ]);
    const cid = (base: number): number =>
      [0, 1, 2, 3].reduce(
        (v, i) => v | ((host.read32(base + 0xff0 + 4 * i) & 0xff) << (8 * i)),
        0,
      ) >>> 0;
    const part = (base: number): number =>
      (host.read32(base + 0xfe0) & 0xff) | ((host.read32(base + 0xfe4) & 0xf) << 8);
    expect(cid(0xe00ff000)).toBe(0xb105100d);
    expect(part(0xe00ff000)).toBe(0x4c4);
    expect(cid(0xe000e000)).toBe(0xb105e00d);
    expect(part(0xe000e000)).toBe(0x00c);
    expect(part(0xe0001000)).toBe(0x002);
    expect(part(0xe0002000)).toBe(0x003);
    expect(cid(0xe0040000)).toBe(0xb105900d);
    expect(host.read32(0xe000ed00) >>> 0).toBe(0x410fc240); // CPUID through the bus
  });

  it('writes and reads RAM with sizes on their byte lanes, auto-increments single and packed, wraps at 4 KiB', () => {
    const { s, host } = setup();
    host.powerUp();
    host.write32(0x20000000, 0x11223344);
    expect(host.read32(0x20000000) >>> 0).toBe(0x11223344);
    // Byte write at offset 2: the value travels on lane 2.
    host.apWrite(0, 0x00, 0x23000000);
    host.apWrite(0, 0x04, 0x20000002);
    host.apWrite(0, 0x0c, 0x00aa0000);
    expect(host.read32(0x20000000) >>> 0).toBe(0x11aa3344);
    // Halfword read at offset 2 comes back on lanes 2-3.
    host.apWrite(0, 0x00, 0x23000001);
    host.apWrite(0, 0x04, 0x20000002);
    expect(host.apRead(0, 0x0c) >>> 0).toBe(0x11aa0000);
    // Single increment: consecutive words.
    host.apWrite(0, 0x00, 0x23000012);
    host.apWrite(0, 0x04, 0x20000010);
    for (const v of [1, 2, 3]) host.apWrite(0, 0x0c, v);
    expect(host.apRead(0, 0x04) >>> 0).toBe(0x2000001c);
    expect([...(s.readMemory(0x20000010, 12) as { value: Uint8Array }).value]).toEqual([
      1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0,
    ]);
    // Packed bytes: one DRW write makes four byte transfers.
    host.apWrite(0, 0x00, 0x23000020);
    host.apWrite(0, 0x04, 0x20000020);
    host.apWrite(0, 0x0c, 0x44332211);
    expect(host.apRead(0, 0x04) >>> 0).toBe(0x20000024);
    expect(host.read32(0x20000020) >>> 0).toBe(0x44332211);
    // TAR[11:0] wrap: across 1 KiB it goes on, at 4 KiB 0x20000ffc + 4 -> 0x20000000.
    host.apWrite(0, 0x00, 0x23000012);
    host.apWrite(0, 0x04, 0x200003fc);
    host.apWrite(0, 0x0c, 7);
    expect(host.apRead(0, 0x04) >>> 0).toBe(0x20000400);
    host.apWrite(0, 0x04, 0x20000ffc);
    host.apWrite(0, 0x0c, 7);
    expect(host.apRead(0, 0x04) >>> 0).toBe(0x20000000);
    // Banked data: BD1 reaches TAR[31:4] + 4.
    host.apWrite(0, 0x04, 0x20000010);
    expect(host.apRead(0, 0x14)).toBe(2);
  });

  it('programs flash only through the NVMC, as the nRF52 PS says', () => {
    const { s, host } = setup();
    host.powerUp();
    host.write32(0x8000, 0x12345678); // CONFIG.WEN = Ren: ignored
    expect(host.read32(0x8000) >>> 0).toBe(0xffffffff);
    host.write32(0x4001e504, 1);
    host.write32(0x8000, 0x12345678);
    host.write32(0x4001e504, 0);
    expect(host.read32(0x8000) >>> 0).toBe(0x12345678);
    expect(s.readWord(0x8000)).toEqual({ ok: true, value: 0x12345678 });
  });
});

describe('halting debug through the AHB-AP (ARMv7-M C1.6)', () => {
  it('halts, reads and writes core registers, steps, resumes, and catches the reset vector', () => {
    const { s, dap, host } = setup();
    host.powerUp();
    s.runSlice({ instructions: 1000 });
    expect(host.read32(DHCSR) & (1 << 25)).toBe(1 << 25); // S_RESET_ST since the load
    expect(host.read32(DHCSR) & (1 << 25)).toBe(0); // cleared by the read
    host.write32(DHCSR, KEY | 3); // C_DEBUGEN | C_HALT
    const dhcsr = host.read32(DHCSR);
    expect(dhcsr & 0x30003).toBe(0x30003); // S_HALT, S_REGRDY, C_HALT, C_DEBUGEN
    expect(host.read32(DFSR) & 1).toBe(1);
    host.write32(DCRSR, 15);
    const pc = host.read32(DCRDR);
    expect([0x102, 0x104]).toContain(pc);
    host.write32(DCRSR, 0);
    const r0 = host.read32(DCRDR);
    // Write r0 = 100, step twice (adds; b), read r0 = 101.
    host.write32(DCRDR, 100);
    host.write32(DCRSR, (1 << 16) | 0);
    host.write32(DCRSR, 15);
    host.write32(DCRDR, 0x102);
    host.write32(DCRSR, (1 << 16) | 15);
    host.write32(DHCSR, KEY | 5 | 8); // C_STEP | C_DEBUGEN | C_MASKINTS
    host.write32(DHCSR, KEY | 5 | 8);
    expect(host.read32(DHCSR) & (1 << 17)).toBe(1 << 17);
    host.write32(DCRSR, 0);
    expect(host.read32(DCRDR)).toBe(101);
    host.write32(DCRSR, 15);
    expect(host.read32(DCRDR)).toBe(0x102);
    expect(r0).toBeGreaterThan(0);
    // FPB breakpoint on 0x104: resume, the core stops there with DFSR.BKPT.
    host.write32(FP_CTRL, 3);
    host.write32(FP_COMP0, 0x104 | 1 | (1 << 30));
    host.write32(DFSR, 0x1f);
    host.write32(DHCSR, KEY | 1);
    expect(s.core.halted).toBe(false);
    s.runSlice({ instructions: 100 });
    expect(s.core.halted).toBe(true);
    expect(host.read32(DFSR) & 2).toBe(2);
    host.write32(DCRSR, 15);
    expect(host.read32(DCRDR)).toBe(0x104);
    // Reset halt: VC_CORERESET, then SYSRESETREQ; the core halts at the reset vector.
    host.write32(FP_CTRL, 2);
    host.write32(DEMCR, 1);
    host.write32(DHCSR, KEY | 1);
    host.write32(AIRCR, 0x05fa0004);
    s.runSlice({ instructions: 10 });
    expect(s.core.halted).toBe(true);
    expect(host.read32(DHCSR) & ((1 << 25) | (1 << 17))).toBe((1 << 25) | (1 << 17));
    expect(host.read32(DFSR) & 8).toBe(8);
    host.write32(DCRSR, 15);
    expect(host.read32(DCRDR)).toBe(0x100);
    expect(dap.dp.counts.errors).toBe(0);
  });
});

describe('Debug state, sleep and reset (ARMv7-M ARM C1.4, C1.5, C1.6.2, C1.6.5, B3.2.6)', () => {
  it('halts a core sleeping in WFI, and resets a halted core: running on, or caught at the reset vector', () => {
    const { s, host } = setup(image(WFI));
    host.powerUp();
    s.runSlice({ instructions: 1000 });
    // Asleep in WFI: S_SLEEP, not S_HALT (C1.6.2).
    expect(host.read32(DHCSR) & ((1 << 18) | (1 << 17))).toBe(1 << 18);
    // C_HALT wakes it into Debug state (B1.5.19: a debug entry request ends the WFI).
    // (The host does not run a halted core's slices: runSlice is "continue".)
    host.write32(DHCSR, KEY | 3);
    expect(host.read32(DHCSR) & ((1 << 18) | (1 << 17))).toBe(1 << 17);
    host.write32(DCRSR, 15);
    expect(host.read32(DCRDR)).toBe(0x104); // the WFI completed
    // SYSRESETREQ while halted, no vector catch: the reset happens (a Local reset is not held
    // off by Debug state) and the core leaves Debug state, running the image from its start.
    host.write32(DEMCR, 0);
    host.read32(DHCSR); // clear S_RESET_ST
    host.write32(AIRCR, 0x05fa0004);
    s.runSlice({ instructions: 1000 });
    const after = host.read32(DHCSR);
    expect(after & (1 << 25)).toBe(1 << 25); // S_RESET_ST
    expect(after & (1 << 17)).toBe(0); // not halted
    expect(after & (1 << 18)).toBe(1 << 18); // asleep in its loop again
    expect(after & 1).toBe(1); // C_DEBUGEN survives the reset (C1.6.2)
    // Halted again, now with VC_CORERESET: the reset requested while halted halts on the
    // reset handler's first instruction with DFSR.VCATCH (C1.6.5).
    host.write32(DHCSR, KEY | 3);
    expect(host.read32(DHCSR) & ((1 << 18) | (1 << 17))).toBe(1 << 17);
    host.write32(DEMCR, 1);
    host.write32(DFSR, 0x1f);
    host.write32(AIRCR, 0x05fa0004);
    expect(host.read32(DHCSR) & ((1 << 25) | (1 << 17))).toBe((1 << 25) | (1 << 17));
    expect(host.read32(DFSR) & 8).toBe(8);
    host.write32(DCRSR, 15);
    expect(host.read32(DCRDR)).toBe(0x100);
  });
});

describe('CTRL-AP', () => {
  it('identifies itself, reports protection from UICR.APPROTECT, erases all and lifts it, holds the chip in reset', () => {
    const { s, dap, host } = setup();
    host.powerUp();
    expect(host.apRead(1, 0xfc) >>> 0).toBe(0x02880000);
    expect(host.apRead(1, 0x0c)).toBe(1);
    // Protect: UICR.APPROTECT = 0 through the NVMC, then reset.
    host.write32(0x4001e504, 1);
    host.write32(0x10001208, 0);
    host.write32(0x4001e504, 0);
    s.reset('pin');
    expect(dap.protected).toBe(true);
    expect(host.apRead(1, 0x0c)).toBe(0);
    expect(host.apRead(0, 0x00) & 0x40).toBe(0); // DeviceEn
    host.dpWrite(0x4, 0x50000020);
    expect(host.read32(0x20000000)).toBe(0);
    expect(host.dpRead(0x4) & 0x20).toBe(0x20);
    // nrf52_recover's sequence.
    host.apWrite(1, 0x04, 0);
    host.apWrite(1, 0x04, 1);
    expect(host.apRead(1, 0x08)).toBe(0);
    host.apWrite(1, 0x00, 1);
    expect(dap.heldInReset).toBe(true);
    host.apWrite(1, 0x00, 0);
    host.apWrite(1, 0x04, 0);
    expect(dap.heldInReset).toBe(false);
    expect(host.apRead(1, 0x0c)).toBe(1);
    host.dpWrite(0x4, 0x50000020);
    expect(host.read32(0x0) >>> 0).toBe(0xffffffff);
    expect(host.read32(0x10001208) >>> 0).toBe(0xffffffff);
    expect(dap.ctrlAp.erasures).toBe(1);
  });
});
