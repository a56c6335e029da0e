/**
 * Connections between peripherals, as the chip's registers describe them: PPI channels (an
 * event end-point wired to a task end-point, and a fork's second task), EasyDMA buffers
 * (pointer, capacity and last amount of each DMA channel of an enabled peripheral) and
 * shortcuts (SHORTS bits: an event that triggers a task of the same peripheral).
 *
 * The nRF52840 PS §6.16 (PPI): CHEN bit n enables channel n; CH[n].EEP holds the address of an
 * EVENTS_ register and CH[n].TEP the address of a TASKS_ register; FORK[n].TEP a second task.
 * Channels 20-31 are pre-programmed by the chip (their end-points are not registers; PS table
 * "Pre-programmed channels"): listed by number when enabled. EasyDMA (PS §6.1.6): a peripheral's
 * `X.PTR`, `X.MAXCNT`, `X.AMOUNT` registers; the buffer must be in Data RAM. Shortcuts (PS
 * §6.1.3): each SHORTS bit named EVENT_TASK.
 *
 * Everything is computed from register values the caller read through the read policy (these
 * registers are plain state), so the same code serves the emulator and a real board.
 *
 * @example
 *   const c = connections(svd, namer, (a) => values.get(a) ?? null, memoryMap);
 *   c.ppi[0]; // { channel: 0, event: 'RTC1.EVENTS_COMPARE[0]', task: 'TIMER0.TASKS_START', ... }
 */
import type { RegisterNamer, SvdDevice } from '../../peripherals/nrf/svd';
import type { MemoryRegion } from '../target';
import { fieldValue, readPolicy } from './register-view';

export interface PpiLink {
  channel: number;
  event: string;
  task: string;
  fork: string | null;
  eventAddress: number;
  taskAddress: number;
}

export interface DmaBuffer {
  peripheral: string;
  /** The DMA channel's cluster name (TXD, RXD, SAMPLE...). */
  channel: string;
  ptr: number;
  maxcnt: number;
  amount: number | null;
  /** Null when the buffer is in RAM, else why the DMA would fail. */
  problem: string | null;
}

export interface Shortcut {
  peripheral: string;
  /** The SHORTS field's name, EVENT_TASK. */
  name: string;
}

export interface Connections {
  ppi: PpiLink[];
  /** Pre-programmed channels (20-31) that are enabled. */
  fixedChannels: number[];
  dma: DmaBuffer[];
  shortcuts: Shortcut[];
}

/** Register addresses `connections` needs values for (all safe to read: plain state). */
export function connectionRegisters(svd: SvdDevice): number[] {
  const out: number[] = [];
  for (const p of svd.peripherals) {
    if (p.alternatePeripheral !== undefined) continue;
    for (const r of p.registers) {
      if (readPolicy(r).kind !== 'live') continue;
      const n = r.name;
      const wanted =
        (p.name === 'PPI' &&
          (n === 'CHEN' || /^CH\[\d+\]\.(EEP|TEP)$/.test(n) || /^FORK\[\d+\]\.TEP$/.test(n))) ||
        n === 'ENABLE' ||
        n === 'SHORTS' ||
        /\.(PTR|MAXCNT|AMOUNT)$/.test(n);
      if (wanted) out.push((p.baseAddress + r.addressOffset) >>> 0);
    }
  }
  return out;
}

/** The connections the register values show. `read` answers null for a value not read. */
export function connections(
  svd: SvdDevice,
  namer: RegisterNamer,
  read: (address: number) => number | null,
  memoryMap: readonly MemoryRegion[],
): Connections {
  const name = (a: number): string => namer.name(a) ?? `0x${(a >>> 0).toString(16)}`;
  const out: Connections = { ppi: [], fixedChannels: [], dma: [], shortcuts: [] };
  const ppi = svd.peripherals.find((p) => p.name === 'PPI');
  const reg = (
    p: { baseAddress: number; registers: { name: string; addressOffset: number }[] },
    n: string,
  ) => {
    const r = p.registers.find((x) => x.name === n);
    return r ? read((p.baseAddress + r.addressOffset) >>> 0) : null;
  };
  if (ppi) {
    const chen = reg(ppi, 'CHEN') ?? 0;
    for (let ch = 0; ch < 32; ch++) {
      if ((chen & (1 << ch)) === 0) continue;
      const eep = reg(ppi, `CH[${ch}].EEP`);
      const tep = reg(ppi, `CH[${ch}].TEP`);
      const fork = reg(ppi, `FORK[${ch}].TEP`);
      if (eep === null && tep === null) {
        out.fixedChannels.push(ch);
        continue;
      }
      out.ppi.push({
        channel: ch,
        event: eep ? name(eep) : '(no event end-point)',
        task: tep ? name(tep) : '(no task end-point)',
        fork: fork ? name(fork) : null,
        eventAddress: eep ?? 0,
        taskAddress: tep ?? 0,
      });
    }
  }
  const inRam = (a: number, n: number): boolean =>
    memoryMap.some((r) => r.kind === 'ram' && a >= r.start && a + n <= r.start + r.size);
  for (const p of svd.peripherals) {
    if (p.alternatePeripheral !== undefined) continue;
    const enable = reg(p, 'ENABLE');
    const shorts = p.registers.find((r) => r.name === 'SHORTS');
    if (shorts) {
      const v = read((p.baseAddress + shorts.addressOffset) >>> 0);
      if (v !== null)
        for (const f of shorts.fields)
          if (fieldValue(f, v) !== 0) out.shortcuts.push({ peripheral: p.name, name: f.name });
    }
    if (enable === 0) continue;
    for (const r of p.registers) {
      const m = /^(.*)\.PTR$/.exec(r.name);
      if (!m) continue;
      const ptr = reg(p, r.name);
      const maxcnt = reg(p, `${m[1]}.MAXCNT`);
      if (ptr === null || maxcnt === null || ptr === 0) continue;
      out.dma.push({
        peripheral: p.name,
        channel: m[1]!,
        ptr,
        maxcnt,
        amount: reg(p, `${m[1]}.AMOUNT`),
        problem: inRam(ptr, Math.max(1, maxcnt))
          ? null
          : `0x${ptr.toString(16)}+${maxcnt} is not in Data RAM: EasyDMA cannot reach it (PS §6.1.6)`,
      });
    }
  }
  return out;
}
