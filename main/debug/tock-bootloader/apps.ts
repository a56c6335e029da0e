/**
 * Where apps go in a board's apps region, and what to write to put one there or take one out:
 * the planning half of install, uninstall and erase-apps, with no I/O.
 *
 * The kernel finds apps by walking TBF headers back to back from the start of the apps region,
 * each total size leading to the next, until a header does not parse (erased flash). So the
 * region is a chain of entries (apps and padding TBFs, which only take space) followed by
 * free flash. Installing puts the app into free space (padding or the tail): at the address it
 * was linked for when it has fixed addresses, otherwise at the first place aligned to its size
 * (PMSAv7 MPU regions are a power of two, aligned to their size, as tockloader arranges on
 * Cortex-M). Padding headers relink the chain around it. Uninstalling turns an app into
 * padding, or ends the chain before it when nothing follows.
 *
 * Plans are lists of writes in the order they must happen: from the highest address down, so
 * the chain only ever links to entries that are complete. An interrupted install leaves the
 * new app unreachable (its header page is written last of its pages, and the link to it after
 * that), never a header in front of a half-written binary; running it again redoes it.
 *
 * @example
 *   const plan = planInstall(chain, region, { header, bytes });
 *   if (plan.ok) for (const w of plan.value.writes) await write(w.address, w.data);
 */
import { err, ok, type Result } from '../../../emulator/core/result';
import {
  buildTbfHeader,
  TBF_NO_FIXED_ADDRESS,
  type TbfHeader,
} from '../../../emulator/formats/tbf';

/** One entry of the chain on the board. */
export interface ChainEntry {
  address: number;
  header: TbfHeader;
}

export interface AppsRegion {
  start: number;
  /** First address past the region (end of flash). */
  end: number;
}

/** The chain as read from the board: entries, and where the walk stopped. */
export interface Chain {
  entries: ChainEntry[];
  /** Address after the last entry (the start of free flash). */
  end: number;
}

/** Bytes to write at an address, in plan order. `erase` marks a write of 0xFF that only ends the chain. */
export interface PlannedWrite {
  address: number;
  data: Uint8Array;
  why: string;
}

export interface InstallPlan {
  /** Where the app's TBF starts. */
  address: number;
  writes: PlannedWrite[];
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** Bytes that end the chain: an erased base header. */
export const TERMINATOR = new Uint8Array(16).fill(0xff);

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** The header of a padding TBF of `size` bytes. */
export function paddingHeader(size: number): Uint8Array {
  return buildTbfHeader({ totalSize: size, enabled: false });
}

/** Where an app must start when it was linked for fixed flash, else null (position independent). */
export function fixedTbfAddress(header: TbfHeader): number | null {
  const flash = header.fixedAddresses?.flash;
  if (flash === undefined || flash === TBF_NO_FIXED_ADDRESS) return null;
  const trailer = (header.program ?? header.main)?.protectedTrailerSize ?? 0;
  return (flash - header.headerSize - trailer) >>> 0;
}

interface Free {
  start: number;
  end: number;
  /** True when the space runs on to the end of the region (no app after it). */
  tail: boolean;
}

/** Free spaces: runs of padding (and apps being replaced) inside the chain, then the tail. */
function freeSpaces(chain: Chain, region: AppsRegion, freed: (e: ChainEntry) => boolean): Free[] {
  const out: Free[] = [];
  let run: { start: number; end: number } | null = null;
  for (const e of chain.entries) {
    const isFree = e.header.isPadding || freed(e);
    if (isFree) {
      if (run) run.end = e.address + e.header.totalSize;
      else run = { start: e.address, end: e.address + e.header.totalSize };
    } else if (run) {
      out.push({ ...run, tail: false });
      run = null;
    }
  }
  const tailStart = run ? run.start : chain.end;
  out.push({ start: tailStart, end: region.end, tail: true });
  return out;
}

/**
 * Where `app` goes and what to write. `replace` names apps whose space may be reused (an app of
 * the same name being replaced); they must already have been taken out of the chain or be
 * padding when the plan runs (`planUninstall` first).
 */
export function planInstall(
  chain: Chain,
  region: AppsRegion,
  app: { header: TbfHeader; bytes: Uint8Array },
): Result<InstallPlan> {
  const size = app.header.totalSize;
  if (size === 0 || size !== app.bytes.length)
    return err(`the TBF is ${app.bytes.length} bytes but its header says ${size}`);
  const spaces = freeSpaces(chain, region, () => false);
  const fixed = fixedTbfAddress(app.header);
  let place: { at: number; space: Free } | null = null;
  if (fixed !== null) {
    if (fixed < region.start || fixed + size > region.end)
      return err(
        `it was linked to run from flash ${hex(app.header.fixedAddresses!.flash)}, outside this board's apps region ${hex(region.start)}-${hex(region.end)} (an app built for another board?)`,
      );
    const space = spaces.find((s) => fixed >= s.start && fixed + size <= s.end);
    if (!space) {
      const blocker = chain.entries.find(
        (e) =>
          !e.header.isPadding && e.address < fixed + size && fixed < e.address + e.header.totalSize,
      );
      return err(
        `it must go at ${hex(fixed)} (it is linked for that address) but ${blocker ? `'${blocker.header.packageName ?? 'an unnamed app'}' (${hex(blocker.address)}-${hex(blocker.address + blocker.header.totalSize)}) is there` : 'that space is not free'}; uninstall it first`,
      );
    }
    place = { at: fixed, space };
  } else {
    const align = Math.max(4, nextPowerOfTwo(size));
    for (const s of spaces) {
      const at = Math.ceil(s.start / align) * align;
      if (at + size <= s.end) {
        place = { at, space: s };
        break;
      }
    }
    if (!place)
      return err(
        `no free space of ${size} bytes (aligned to ${align}) is left in the apps region ${hex(region.start)}-${hex(region.end)}`,
      );
  }
  const { at, space } = place;
  const writes: PlannedWrite[] = [];
  const after = at + size;
  if (space.tail) {
    if (after < region.end)
      writes.push({ address: after, data: TERMINATOR, why: 'end the app chain after it' });
  } else if (after < space.end) {
    writes.push({
      address: after,
      data: paddingHeader(space.end - after),
      why: `padding ${hex(after)}-${hex(space.end)}`,
    });
  }
  writes.push({ address: at, data: app.bytes, why: `'${app.header.packageName ?? 'app'}'` });
  if (at > space.start)
    writes.push({
      address: space.start,
      data: paddingHeader(at - space.start),
      why: `padding ${hex(space.start)}-${hex(at)}`,
    });
  return ok({ address: at, writes });
}

/**
 * What to write so that the entries `remove` picks leave the chain: each becomes padding, and
 * the chain ends after the last entry that stays.
 */
export function planUninstall(
  chain: Chain,
  region: AppsRegion,
  remove: (e: ChainEntry) => boolean,
): PlannedWrite[] {
  const stays = (e: ChainEntry): boolean => !e.header.isPadding && !remove(e);
  let last = -1;
  chain.entries.forEach((e, i) => {
    if (stays(e)) last = i;
  });
  const writes: PlannedWrite[] = [];
  const cut = chain.entries[last + 1];
  if (cut && cut.address < region.end)
    writes.push({ address: cut.address, data: TERMINATOR, why: 'end the app chain here' });
  for (let i = last; i >= 0; i--) {
    const e = chain.entries[i]!;
    if (!e.header.isPadding && remove(e))
      writes.push({
        address: e.address,
        data: paddingHeader(e.header.totalSize),
        why: `'${e.header.packageName ?? 'app'}' becomes padding`,
      });
  }
  return writes;
}

/** Problems that make `header` unfit for a board whose app RAM is `appRam`, or null. */
export function ramProblem(
  header: TbfHeader,
  appRam: { start: number; length: number } | undefined,
): string | null {
  const ram = header.fixedAddresses?.ram;
  if (!appRam || ram === undefined || ram === TBF_NO_FIXED_ADDRESS) return null;
  if (ram < appRam.start || ram >= appRam.start + appRam.length)
    return `it was linked for RAM at ${hex(ram)}, outside this kernel's app RAM ${hex(appRam.start)}-${hex(appRam.start + appRam.length)} (an app built for another board?)`;
  return null;
}
