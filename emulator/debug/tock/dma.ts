/**
 * The DMA view's model: every EasyDMA channel the chip model has (the recorder's `dma` request:
 * PTR, MAXCNT, AMOUNT, idle / in flight / done), the buffer it points at resolved to its owner,
 * a hex preview, and the violations a person debugging a driver wants flagged.
 *
 * Owners, in the order they are looked for:
 * - the kernel cells that hold the buffer now (a `TakeCell<&mut [u8]>` whose slice contains the
 *   pointer: the kernel's DMA channel while a transfer runs, the capsule's own cell otherwise;
 *   found by emulator/debug/tock/cells.ts walking the DWARF from the debug anchor);
 * - the cells seen holding it at an earlier read (`CellsModel.formerHolders`: the capsule that
 *   gave it up);
 * - the kernel static it lies in (the ELF's object symbol: `nrf52_components::run::BUF`);
 * - a process whose RAM it lies in (an allowed buffer).
 *
 * Violations:
 * - "outside Data RAM": EasyDMA reaches only Data RAM (nRF52840 Product Specification, chapter
 *   "EasyDMA": a pointer elsewhere makes the transfer fault or read/write nothing); the ranges are
 *   the target's memory map regions of kind 'ram';
 * - "held by a cell": a transfer in flight over a buffer that a capsule's cell still holds (the
 *   kernel did not give it up: software can touch memory the hardware is using); the kernel's
 *   own DMA channel (`kernel::dma::DmaChannel`) holding it is the intended state;
 * - "CPU write in flight": the recorder saw a store into the buffer between the transfer's
 *   start and its end (RecordKind.DmaCpuWrite), with the PC of the store.
 *
 * @example
 *   const view = await dmaView({ channels, cells: report.cells, formerHolders, info, processes,
 *     ram: memoryMap.filter((r) => r.kind === 'ram'), cpuWrites, mem });
 *   // [{ peripheral: 'UARTE0', channel: 'TXD', state: 'in flight', owner: { kind: 'cell', ... } }]
 */
import type { DebugInfo, ReadMemory } from '../../formats/dwarf/index';
import { demangle } from '../../formats/dwarf/index';
import type { DmaChannelState } from '../../peripherals/nrf/uarte';
import type { CellRecord } from './cells';

export type DmaOwner =
  | { kind: 'cell'; cell: CellRecord; now: boolean }
  | { kind: 'static'; name: string; address: number }
  | { kind: 'process'; name: string; slot: number };

export interface DmaProblem {
  kind: 'outside-data-ram' | 'held-by-cell' | 'cpu-write-in-flight';
  message: string;
}

export interface DmaChannelView extends DmaChannelState {
  /** Index in the recorder's channel numbering (peripheral * 2, + 1 for RXD). */
  index: number;
  owners: DmaOwner[];
  /** Up to 64 bytes at PTR (null when unreadable or no buffer). */
  preview: Uint8Array | null;
  problems: DmaProblem[];
}

/** A CPU store into a buffer while its transfer was in flight (from the recorder). */
export interface CpuWrite {
  channel: number;
  address: number;
  size: number;
  pc: number;
}

export interface DmaViewInput {
  channels: DmaChannelState[];
  /** The cells now (CellsModel.read). */
  cells: readonly CellRecord[];
  /** Cells that held a buffer at an earlier read, by its pointer. */
  formerHolders?: (ptr: number) => CellRecord[];
  info?: DebugInfo;
  processes?: readonly { name: string; slot: number; ram: { start: number; end: number } }[];
  /** Data RAM: where EasyDMA may point. */
  ram: readonly { start: number; size: number }[];
  cpuWrites?: readonly CpuWrite[];
  mem?: ReadMemory;
}

const PREVIEW = 64;
const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

export async function dmaView(input: DmaViewInput): Promise<DmaChannelView[]> {
  const out: DmaChannelView[] = [];
  const perPeripheral = new Map<string, number>();
  for (const ch of input.channels) {
    if (!perPeripheral.has(ch.peripheral)) perPeripheral.set(ch.peripheral, perPeripheral.size);
    const index = perPeripheral.get(ch.peripheral)! * 2 + (ch.channel === 'RXD' ? 1 : 0);
    const ptr = ch.buffer?.ptr ?? ch.ptr;
    const length = ch.buffer?.length ?? ch.maxcnt;
    const hasBuffer = ch.state !== 'idle' || ch.ptr !== 0;
    const owners: DmaOwner[] = [];
    const problems: DmaProblem[] = [];
    let preview: Uint8Array | null = null;
    if (hasBuffer) {
      const inside = (c: CellRecord): boolean =>
        c.held !== null &&
        c.held.length !== null &&
        ptr >= c.held.ptr &&
        ptr < c.held.ptr + Math.max(c.held.length, 1);
      const holders = input.cells.filter((c) => c.occupancy !== 'empty' && inside(c));
      for (const cell of holders) owners.push({ kind: 'cell', cell, now: true });
      for (const cell of input.formerHolders?.(ptr) ?? [])
        if (!holders.some((h) => h.address === cell.address))
          owners.push({ kind: 'cell', cell, now: false });
      const sym = input.info?.symbolAt(ptr, 'object');
      if (sym) owners.push({ kind: 'static', name: demangle(sym.name), address: sym.value });
      for (const p of input.processes ?? [])
        if (ptr >= p.ram.start && ptr < p.ram.end)
          owners.push({ kind: 'process', name: p.name, slot: p.slot });

      const end = ptr + Math.max(length, 1);
      if (!input.ram.some((r) => ptr >= r.start && end <= r.start + r.size))
        problems.push({
          kind: 'outside-data-ram',
          message: `${ch.peripheral} ${ch.channel}.PTR ${hex(ptr)} (${length} bytes) is outside Data RAM: EasyDMA cannot reach it`,
        });
      if (ch.state === 'in flight')
        for (const cell of holders)
          if (!cell.owner.startsWith('kernel::dma::'))
            problems.push({
              kind: 'held-by-cell',
              message: `${ch.peripheral} ${ch.channel} is moving ${hex(ptr)} while ${cell.owner}.${cell.field} still holds it (the buffer was not handed to the DMA channel)`,
            });
      for (const w of input.cpuWrites ?? [])
        if (w.channel === index)
          problems.push({
            kind: 'cpu-write-in-flight',
            message: `the CPU wrote ${w.size} byte(s) at ${hex(w.address)} (PC ${hex(w.pc)}) while ${ch.peripheral} ${ch.channel} was moving that buffer`,
          });
      if (input.mem && length > 0) {
        const r = await input.mem(ptr, Math.min(length, PREVIEW));
        if (r.ok) preview = r.value;
      }
    }
    out.push({ ...ch, index, owners, preview, problems });
  }
  return out;
}

/** One line naming a channel's owner, as the view shows it. */
export function describeOwner(o: DmaOwner): string {
  switch (o.kind) {
    case 'cell':
      return `${o.cell.capsule} ${o.cell.owner.split('<')[0]!.split('::').pop()}.${o.cell.field}${o.now ? '' : ' (gave it up)'}`;
    case 'static':
      return `static ${o.name}`;
    case 'process':
      return `process ${o.name} (slot ${o.slot})`;
  }
}
