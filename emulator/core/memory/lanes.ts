/**
 * Byte lanes: how a byte or halfword access meets a 32-bit register.
 *
 * A 32-bit bus carries four byte lanes; an access of `size` bytes at `offset` uses the lanes
 * `offset & 3` to `(offset & 3) + size - 1` (AMBA AHB/APB: a narrow transfer drives the lanes
 * its address selects). Every register block of ours is a bank of 32-bit words, so each one
 * needs the same three answers: which bits a narrow read returns, what word a narrow write
 * presents (the APB bridges of the MPS2 and nRF52 pass the written lanes with the others zero),
 * and what a narrow write leaves in a plain register (AHB byte strobes change only their
 * lanes). They are written once, here.
 *
 * @example
 *   read(offset, size) { return readLanes(this.readWord(offset & ~3), offset, size); }
 *   write(offset, size, value) { this.writeWord(offset & ~3, laneValue(value, offset, size)); }
 *   this.out = mergeLanes(this.out, value, offset, size);
 */
import type { AccessSize } from '../interfaces';

/** Bits of the word the access's lanes cover (0xffffffff for a word access). */
export function laneMask(offset: number, size: AccessSize): number {
  if (size === 4) return 0xffffffff;
  return ((size === 1 ? 0xff : 0xffff) << ((offset & 3) * 8)) >>> 0;
}

/** What a read of `size` bytes at `offset` returns from the 32-bit `word` holding it. */
export function readLanes(word: number, offset: number, size: AccessSize): number {
  if (size === 4) return word >>> 0;
  return (word >>> ((offset & 3) * 8)) & (size === 1 ? 0xff : 0xffff);
}

/** The word a narrow write presents: `value` in its lanes, the other lanes zero. */
export function laneValue(value: number, offset: number, size: AccessSize): number {
  if (size === 4) return value >>> 0;
  return ((value & (size === 1 ? 0xff : 0xffff)) << ((offset & 3) * 8)) >>> 0;
}

/** `old` with the lanes of the access replaced by `value` (byte strobes). */
export function mergeLanes(old: number, value: number, offset: number, size: AccessSize): number {
  const mask = laneMask(offset, size);
  return ((old & ~mask) | (laneValue(value, offset, size) & mask)) >>> 0;
}

/** `value` cut to the access size (what a bus carries for a byte or halfword). */
export function sized(value: number, size: AccessSize): number {
  return size === 4 ? value >>> 0 : value & (size === 2 ? 0xffff : 0xff);
}
