/**
 * ALU helpers shared by the executors: shifts with carry, ThumbExpandImm, AddWithCarry,
 * saturation and the DSP lane arithmetic, written after the ARMv7-M ARM pseudocode (A2.2-A2.3).
 *
 * Shifts return the result and leave the carry-out in `aluOut.carry`, a module object, so the hot
 * path allocates nothing. Values are int32 throughout (typed-array register file semantics).
 */
import type { CortexM } from '../cortex-m';

/**
 * Side results of the last call: `carry`, the carry out of shiftC / expandImmC; `sat`, set by
 * ssat/usat when they clamped. A module object rather than exported `let`s, which some module
 * transforms turn into getter calls on the hot path.
 */
export const aluOut = { carry: 0, sat: 0 };

/** SRType: 0 LSL, 1 LSR, 2 ASR, 3 ROR, 4 RRX. */
export function shiftC(value: number, type: number, amount: number, carryIn: number): number {
  if (amount === 0 && type !== 4) {
    aluOut.carry = carryIn;
    return value | 0;
  }
  switch (type) {
    case 0:
      if (amount >= 32) {
        aluOut.carry = amount === 32 ? value & 1 : 0;
        return 0;
      }
      aluOut.carry = (value >>> (32 - amount)) & 1;
      return value << amount;
    case 1:
      if (amount >= 32) {
        aluOut.carry = amount === 32 ? (value >>> 31) & 1 : 0;
        return 0;
      }
      aluOut.carry = (value >>> (amount - 1)) & 1;
      return (value >>> amount) | 0;
    case 2:
      if (amount >= 32) {
        aluOut.carry = (value >>> 31) & 1;
        return value >> 31;
      }
      aluOut.carry = (value >> (amount - 1)) & 1;
      return value >> amount;
    case 3: {
      const m = amount & 31;
      const res = m === 0 ? value | 0 : (value >>> m) | (value << (32 - m));
      aluOut.carry = (res >>> 31) & 1;
      return res;
    }
    default:
      aluOut.carry = value & 1;
      return (value >>> 1) | (carryIn << 31) | 0;
  }
}

/** DecodeImmShift: returns type (0-4) in the low 3 bits and amount << 3. */
export function decodeImmShift(type: number, imm5: number): number {
  switch (type) {
    case 0:
      return (imm5 << 3) | 0;
    case 1:
      return ((imm5 === 0 ? 32 : imm5) << 3) | 1;
    case 2:
      return ((imm5 === 0 ? 32 : imm5) << 3) | 2;
    default:
      return imm5 === 0 ? (1 << 3) | 4 : (imm5 << 3) | 3;
  }
}

/** ThumbExpandImm_C; leaves the carry in aluOut.carry. */
export function expandImmC(imm12: number, carryIn: number): number {
  if (imm12 >>> 10 === 0) {
    aluOut.carry = carryIn;
    const b = imm12 & 0xff;
    switch ((imm12 >>> 8) & 3) {
      case 0:
        return b;
      case 1:
        return (b << 16) | b;
      case 2:
        return (b << 24) | (b << 8);
      default:
        return (b << 24) | (b << 16) | (b << 8) | b;
    }
  }
  const unrot = 0x80 | (imm12 & 0x7f);
  const rot = (imm12 >>> 7) & 31;
  const res = (unrot >>> rot) | (unrot << (32 - rot));
  aluOut.carry = (res >>> 31) & 1;
  return res;
}

/** True when the imm12 pattern is one ThumbExpandImm accepts (UNPREDICTABLE otherwise). */
export function expandImmValid(imm12: number): boolean {
  return !(imm12 >>> 10 === 0 && ((imm12 >>> 8) & 3) !== 0 && (imm12 & 0xff) === 0);
}

/** AddWithCarry; sets NZCV when setflags. */
export function adc(cpu: CortexM, a: number, b: number, carry: number, setflags: boolean): number {
  const res = (a + b + carry) | 0;
  if (setflags) {
    cpu.n = res >>> 31;
    cpu.z = res === 0 ? 1 : 0;
    // Unsigned carry out, in int32 arithmetic: the sum wrapped below an operand.
    const ur = res >>> 0;
    const ua = a >>> 0;
    cpu.c = carry === 0 ? (ur < ua ? 1 : 0) : ur <= ua ? 1 : 0;
    cpu.v = ((a ^ res) & (b ^ res)) >>> 31;
  }
  return res;
}

export function setNZ(cpu: CortexM, res: number): void {
  cpu.n = res >>> 31;
  cpu.z = res === 0 ? 1 : 0;
}

/** Signed saturation to `bits` (1..32); sets `aluOut.sat` when clamped. */
export function ssat(v: number, bits: number): number {
  const max = 2 ** (bits - 1) - 1;
  const min = -(2 ** (bits - 1));
  if (v > max) {
    aluOut.sat = 1;
    return max;
  }
  if (v < min) {
    aluOut.sat = 1;
    return min;
  }
  aluOut.sat = 0;
  return v;
}
export function usat(v: number, bits: number): number {
  const max = 2 ** bits - 1;
  if (v > max) {
    aluOut.sat = 1;
    return max;
  }
  if (v < 0) {
    aluOut.sat = 1;
    return 0;
  }
  aluOut.sat = 0;
  return v;
}

export const sx16 = (v: number): number => (v << 16) >> 16;
export const sx8 = (v: number): number => (v << 24) >> 24;

/** The APSR condition flags as 0/1 numbers. */
export interface Flags {
  n: number;
  z: number;
  c: number;
  v: number;
}

/** ConditionPassed (A7.3.1) for cond 0..15 (IT blocks and conditional branches). */
export function conditionPassed(cpu: Flags, cond: number): boolean {
  let r: boolean;
  switch (cond >>> 1) {
    case 0:
      r = cpu.z === 1;
      break;
    case 1:
      r = cpu.c === 1;
      break;
    case 2:
      r = cpu.n === 1;
      break;
    case 3:
      r = cpu.v === 1;
      break;
    case 4:
      r = cpu.c === 1 && cpu.z === 0;
      break;
    case 5:
      r = cpu.n === cpu.v;
      break;
    case 6:
      r = cpu.n === cpu.v && cpu.z === 0;
      break;
    default:
      return true;
  }
  return (cond & 1) !== 0 ? !r : r;
}
