/**
 * What the Tock views receive from the host (the `tock.*` methods of main/common/contract.ts):
 * the kernel's cells and the EasyDMA channels, flattened to plain data for the renderer.
 *
 * @example
 *   const r = await host.tock.cells({});
 *   if (r.ok) for (const c of r.value.cells) console.log(c.path, c.occupancy);
 */

export interface TockCell {
  path: string;
  address: number;
  kind: 'TakeCell' | 'MapCell' | 'OptionalCell';
  /** The struct that declares the field (generics dropped), e.g. `capsules::console::Console`. */
  owner: string;
  /** Its module: what the view groups by. */
  capsule: string;
  field: string;
  heldType: string;
  occupancy: 'present' | 'empty' | 'taken' | 'busy';
  held: { ptr: number; length: number | null } | null;
}

export interface TockCellsView {
  cells: TockCell[];
  /** What limited the walk, or an anchor of another version. */
  notes: string[];
  anchorVersion: number | null;
}

export interface TockDmaChannel {
  peripheral: string;
  channel: 'TXD' | 'RXD';
  ptr: number;
  maxcnt: number;
  amount: number;
  state: 'idle' | 'in flight' | 'done';
  /** One line per owner, most specific first ("capsules::console Console.buffer (gave it up)"). */
  owners: string[];
  /** Hex bytes of the buffer's start (up to 64), or null. */
  preview: string | null;
  problems: string[];
}

export interface TockDmaView {
  channels: TockDmaChannel[];
  /** Why the cells (owners) are missing, when they are. */
  notes: string[];
}
