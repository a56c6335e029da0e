/**
 * DWARF expression evaluator: where a variable lives, or what its value is, at one stop.
 *
 * Evaluates a location description (DWARF 5 section 2.5 and 2.6) against a frame's registers
 * and the target's memory: memory locations (DW_OP_addr, breg, fbreg, call_frame_cfa and the
 * arithmetic and stack operations), register locations (reg0-31, regx), implicit values
 * (stack_value, implicit_value), pieces and bit pieces of composite locations, and "optimized
 * out" (an empty expression or an empty piece). Memory reads are asynchronous; registers that
 * the unwinder could not recover make the expression fail with a message that names them, so
 * a caller can show "<unavailable>" instead of a wrong value.
 *
 * @example
 *   const loc = await evaluateLocation(expr, { addressSize: 4, register, readMemory, frameBase });
 *   if (loc.ok && loc.value.pieces[0].location.kind === 'memory') ...
 */
import { err, ok, type Result } from '../../core/result';
import { ByteReader, DwarfError } from './reader';
import { DW_OP } from './codes';
import type { ReadMemory } from './memory';
import type { Unit } from './units';

export type Location =
  | { kind: 'memory'; address: number }
  | { kind: 'register'; reg: number }
  | { kind: 'value'; value: number }
  | { kind: 'implicit'; bytes: Uint8Array }
  /** DW_OP_implicit_pointer: a pointer to a value that has no address (to a DIE's value). */
  | { kind: 'implicitPointer'; dieOffset: number; offset: number }
  | { kind: 'optimizedOut' };

export interface Piece {
  location: Location;
  /** Size of this piece in bits; undefined for a location that is not composite. */
  sizeBits?: number;
  /** Bit offset within the location (DW_OP_bit_piece). */
  bitOffset?: number;
}

export interface LocationResult {
  pieces: Piece[];
}

export interface ExprContext {
  addressSize: number;
  readMemory: ReadMemory;
  /** A register's value in this frame (DWARF numbering), or undefined when not recovered. */
  register: (reg: number) => number | undefined;
  /** DW_AT_frame_base of the enclosing function, evaluated to an address. */
  frameBase?: () => Promise<Result<number>>;
  /** The frame's canonical frame address (for DW_OP_call_frame_cfa). */
  cfa?: number;
  /** For DW_OP_push_object_address (data_member_location expressions). */
  objectAddress?: number;
  /** Values pushed before evaluation starts (DW_AT_data_member_location pushes the base). */
  initialStack?: number[];
  /** The unit, for DW_OP_addrx/constx. */
  unit?: Unit;
  /** Added to DW_OP_addr/addrx addresses: runtime minus link address of the image. */
  addressBias?: number;
}

/** ARM register names by DWARF number (ARM's DWARF ABI: r0-r15, s0-s31 at 64, d0-d31 at 256). */
export function armRegisterName(reg: number): string {
  if (reg >= 0 && reg <= 12) return `r${reg}`;
  if (reg === 13) return 'sp';
  if (reg === 14) return 'lr';
  if (reg === 15) return 'pc';
  if (reg >= 64 && reg < 96) return `s${reg - 64}`;
  if (reg >= 256 && reg < 288) return `d${reg - 256}`;
  return `reg${reg}`;
}

const MAX_STEPS = 10_000;

/** Evaluate a location description; see the module header. */
export async function evaluateLocation(
  expr: Uint8Array,
  ctx: ExprContext,
): Promise<Result<LocationResult>> {
  if (expr.length === 0) return ok({ pieces: [{ location: { kind: 'optimizedOut' } }] });
  try {
    return await run(expr, ctx);
  } catch (e) {
    if (e instanceof DwarfError) return err(e.message);
    throw e;
  }
}

/** Evaluate an expression whose result is a value (DW_AT_frame_base, CFA expressions...). */
export async function evaluateValue(expr: Uint8Array, ctx: ExprContext): Promise<Result<number>> {
  const r = await evaluateLocation(expr, ctx);
  if (!r.ok) return r;
  const p = r.value.pieces;
  if (p.length !== 1) return err('expression is composite where a single value is needed');
  const loc = p[0]!.location;
  switch (loc.kind) {
    case 'memory':
      return ok(loc.address);
    case 'value':
      return ok(loc.value);
    case 'register': {
      const v = ctx.register(loc.reg);
      return v === undefined ? err(`${armRegisterName(loc.reg)} is not available`) : ok(v);
    }
    default:
      return err(`expression yields ${loc.kind}, not a value`);
  }
}

class Unavailable extends Error {}

/** DW_OP_entry_value: the value a register had on entry, which no longer exists here. */
class EntryValue extends Error {}

/** The error message of an expression whose value was only known at function entry. */
export const ENTRY_VALUE_ERROR =
  'the value existed only on entry to the function (DW_OP_entry_value)';

async function run(expr: Uint8Array, ctx: ExprContext): Promise<Result<LocationResult>> {
  const r: ByteReader = new ByteReader(expr, 'location expression');
  const mask = ctx.addressSize >= 4 ? 0xffffffff : 2 ** (ctx.addressSize * 8) - 1;
  const norm = (v: number): number => (mask === 0xffffffff ? v >>> 0 : v & mask);
  const stack: number[] = (ctx.initialStack ?? []).map(norm);
  const pieces: Piece[] = [];
  /** The location of the value being described, set by reg/stack_value/implicit ops. */
  let pending: Location | undefined;
  const pop = (): number => {
    const v = stack.pop();
    if (v === undefined) r.fail('stack underflow');
    return v;
  };
  const reg = (n: number): number => {
    const v = ctx.register(n);
    if (v === undefined)
      throw new Unavailable(`${armRegisterName(n)} is not available in this frame`);
    return v;
  };
  const signed = (v: number): number => (mask === 0xffffffff ? v | 0 : v);
  const read = async (address: number, size: number): Promise<number> => {
    const m = await ctx.readMemory(address, size);
    if (!m.ok) throw new Unavailable(m.error);
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (m.value[i] ?? 0);
    return norm(v);
  };
  const finishPiece = (sizeBits: number | undefined, bitOffset: number | undefined): void => {
    let location: Location;
    if (pending) location = pending;
    else if (stack.length > 0) location = { kind: 'memory', address: stack[stack.length - 1]! };
    else location = { kind: 'optimizedOut' };
    const piece: Piece = { location };
    if (sizeBits !== undefined) piece.sizeBits = sizeBits;
    if (bitOffset !== undefined) piece.bitOffset = bitOffset;
    pieces.push(piece);
    pending = undefined;
    stack.length = 0;
  };

  try {
    let steps = 0;
    while (!r.atEnd()) {
      if (++steps > MAX_STEPS) r.fail('expression runs too long (a loop?)');
      const op = r.u8();
      if (pending && op !== DW_OP.piece && op !== DW_OP.bit_piece)
        r.fail(`operation 0x${op.toString(16)} after a register or implicit location`);
      if (op >= DW_OP.lit0 && op <= DW_OP.lit31) {
        stack.push(op - DW_OP.lit0);
        continue;
      }
      if (op >= DW_OP.reg0 && op <= DW_OP.reg31) {
        pending = { kind: 'register', reg: op - DW_OP.reg0 };
        continue;
      }
      if (op >= DW_OP.breg0 && op <= DW_OP.breg31) {
        const off = r.sleb();
        stack.push(norm(reg(op - DW_OP.breg0) + off));
        continue;
      }
      switch (op) {
        case DW_OP.addr:
          stack.push(norm(r.uSized(ctx.addressSize) + (ctx.addressBias ?? 0)));
          break;
        case DW_OP.deref:
          stack.push(await read(pop(), ctx.addressSize));
          break;
        case DW_OP.deref_size: {
          const size = r.u8();
          if (size < 1 || size > 8) r.fail(`deref_size ${size}`);
          stack.push(await read(pop(), Math.min(size, 4)));
          break;
        }
        case DW_OP.const1u:
          stack.push(r.u8());
          break;
        case DW_OP.const1s:
          stack.push(norm(r.i8()));
          break;
        case DW_OP.const2u:
          stack.push(r.u16());
          break;
        case DW_OP.const2s:
          stack.push(norm(r.i16()));
          break;
        case DW_OP.const4u:
          stack.push(r.u32());
          break;
        case DW_OP.const4s:
          stack.push(norm(r.i32()));
          break;
        case DW_OP.const8u:
        case DW_OP.const8s:
          stack.push(norm(Number(BigInt.asUintN(32, r.u64Big()))));
          break;
        case DW_OP.constu:
          stack.push(norm(r.uleb()));
          break;
        case DW_OP.consts:
          stack.push(norm(r.sleb()));
          break;
        case DW_OP.dup:
          stack.push(stack[stack.length - 1] ?? r.fail('stack underflow'));
          break;
        case DW_OP.drop:
          pop();
          break;
        case DW_OP.over:
          stack.push(stack[stack.length - 2] ?? r.fail('stack underflow'));
          break;
        case DW_OP.pick: {
          const i = r.u8();
          stack.push(stack[stack.length - 1 - i] ?? r.fail('stack underflow'));
          break;
        }
        case DW_OP.swap: {
          const a = pop();
          const b = pop();
          stack.push(a, b);
          break;
        }
        case DW_OP.rot: {
          const a = pop();
          const b = pop();
          const c = pop();
          stack.push(a, c, b);
          break;
        }
        case DW_OP.abs:
          stack.push(norm(Math.abs(signed(pop()))));
          break;
        case DW_OP.and: {
          const a = pop();
          stack.push(norm(pop() & a));
          break;
        }
        case DW_OP.div: {
          const d = signed(pop());
          const n = signed(pop());
          if (d === 0) r.fail('division by zero');
          stack.push(norm(Math.trunc(n / d)));
          break;
        }
        case DW_OP.minus: {
          const a = pop();
          stack.push(norm(pop() - a));
          break;
        }
        case DW_OP.mod: {
          const d = pop();
          const n = pop();
          if (d === 0) r.fail('modulo by zero');
          stack.push(norm(n % d));
          break;
        }
        case DW_OP.mul: {
          const a = pop();
          stack.push(norm(Number((BigInt(pop()) * BigInt(a)) & BigInt(mask))));
          break;
        }
        case DW_OP.neg:
          stack.push(norm(-signed(pop())));
          break;
        case DW_OP.not:
          stack.push(norm(~pop()));
          break;
        case DW_OP.or: {
          const a = pop();
          stack.push(norm(pop() | a));
          break;
        }
        case DW_OP.plus: {
          const a = pop();
          stack.push(norm(pop() + a));
          break;
        }
        case DW_OP.plus_uconst:
          stack.push(norm(pop() + r.uleb()));
          break;
        case DW_OP.shl: {
          const s = pop();
          stack.push(s >= 32 ? 0 : norm(pop() << s));
          break;
        }
        case DW_OP.shr: {
          const s = pop();
          stack.push(s >= 32 ? 0 : norm(pop() >>> s));
          break;
        }
        case DW_OP.shra: {
          const s = pop();
          const v = signed(pop());
          stack.push(norm(v >> Math.min(s, 31)));
          break;
        }
        case DW_OP.xor: {
          const a = pop();
          stack.push(norm(pop() ^ a));
          break;
        }
        case DW_OP.eq:
        case DW_OP.ge:
        case DW_OP.gt:
        case DW_OP.le:
        case DW_OP.lt:
        case DW_OP.ne: {
          const b = signed(pop());
          const a = signed(pop());
          const res =
            op === DW_OP.eq
              ? a === b
              : op === DW_OP.ge
                ? a >= b
                : op === DW_OP.gt
                  ? a > b
                  : op === DW_OP.le
                    ? a <= b
                    : op === DW_OP.lt
                      ? a < b
                      : a !== b;
          stack.push(res ? 1 : 0);
          break;
        }
        case DW_OP.skip: {
          const d = r.i16();
          r.pos += d;
          if (r.pos < 0 || r.pos > r.end) r.fail('skip outside the expression');
          break;
        }
        case DW_OP.bra: {
          const d = r.i16();
          if (pop() !== 0) {
            r.pos += d;
            if (r.pos < 0 || r.pos > r.end) r.fail('branch outside the expression');
          }
          break;
        }
        case DW_OP.regx:
          pending = { kind: 'register', reg: r.uleb() };
          break;
        case DW_OP.fbreg: {
          const off = r.sleb();
          if (!ctx.frameBase) r.fail('DW_OP_fbreg outside a function with a frame base');
          const fb = await ctx.frameBase();
          if (!fb.ok) throw new Unavailable(`frame base: ${fb.error}`);
          stack.push(norm(fb.value + off));
          break;
        }
        case DW_OP.bregx: {
          const n = r.uleb();
          const off = r.sleb();
          stack.push(norm(reg(n) + off));
          break;
        }
        case DW_OP.piece:
          finishPiece(r.uleb() * 8, undefined);
          break;
        case DW_OP.bit_piece: {
          const size = r.uleb();
          const off = r.uleb();
          finishPiece(size, off);
          break;
        }
        case DW_OP.nop:
          break;
        case DW_OP.push_object_address:
          if (ctx.objectAddress === undefined) r.fail('no object address');
          stack.push(ctx.objectAddress);
          break;
        case DW_OP.call_frame_cfa:
          if (ctx.cfa === undefined) throw new Unavailable('the frame has no CFA');
          stack.push(ctx.cfa);
          break;
        case DW_OP.implicit_value: {
          const len = r.uleb();
          pending = { kind: 'implicit', bytes: r.bytes(len) };
          break;
        }
        case DW_OP.stack_value:
          pending = { kind: 'value', value: pop() };
          break;
        case DW_OP.implicit_pointer:
        case DW_OP.GNU_implicit_pointer: {
          const die = r.offset(ctx.unit?.is64 ?? false);
          const off = r.sleb();
          pending = { kind: 'implicitPointer', dieOffset: die, offset: off };
          break;
        }
        case DW_OP.addrx:
        case DW_OP.constx:
        case DW_OP.GNU_addr_index:
        case DW_OP.GNU_const_index: {
          const i = r.uleb();
          const a = ctx.unit?.addressAtIndex(i);
          if (a === undefined) r.fail(`address index ${i} cannot be resolved`);
          stack.push(
            op === DW_OP.constx || op === DW_OP.GNU_const_index
              ? a
              : norm(a + (ctx.addressBias ?? 0)),
          );
          break;
        }
        case DW_OP.entry_value:
        case DW_OP.GNU_entry_value: {
          // The value a register had on entry: only recoverable from call-site information
          // in the caller, which this reader does not chase; report it as such.
          const len = r.uleb();
          r.skip(len);
          throw new EntryValue();
        }
        case DW_OP.form_tls_address:
        case DW_OP.GNU_push_tls_address:
          r.fail('thread-local storage does not exist on this target');
          break;
        default:
          r.fail(`unsupported operation 0x${op.toString(16)}`);
      }
    }
  } catch (e) {
    if (e instanceof Unavailable) return err(e.message);
    if (e instanceof EntryValue) return err(ENTRY_VALUE_ERROR);
    throw e;
  }
  if (pieces.length > 0) {
    if (pending || stack.length > 0) finishPiece(undefined, undefined);
    return ok({ pieces });
  }
  if (pending) return ok({ pieces: [{ location: pending }] });
  if (stack.length === 0) return ok({ pieces: [{ location: { kind: 'optimizedOut' } }] });
  return ok({ pieces: [{ location: { kind: 'memory', address: stack[stack.length - 1]! } }] });
}

const OP_NAMES = new Map<number, string>(
  Object.entries(DW_OP)
    .filter(([k]) => !/^(lit|reg|breg)\d+$/.test(k))
    .map(([k, v]) => [v, `DW_OP_${k}`]),
);

/** A DWARF expression as text ("DW_OP_breg13 +8, DW_OP_deref"), for listings and messages. */
export function describeExpression(expr: Uint8Array, addressSize = 4): string {
  const r: ByteReader = new ByteReader(expr, 'location expression');
  const out: string[] = [];
  try {
    while (!r.atEnd()) {
      const op = r.u8();
      if (op >= DW_OP.lit0 && op <= DW_OP.lit31) out.push(`DW_OP_lit${op - DW_OP.lit0}`);
      else if (op >= DW_OP.reg0 && op <= DW_OP.reg31)
        out.push(`DW_OP_reg${op - DW_OP.reg0} (${armRegisterName(op - DW_OP.reg0)})`);
      else if (op >= DW_OP.breg0 && op <= DW_OP.breg31) {
        const off = r.sleb();
        out.push(
          `DW_OP_breg${op - DW_OP.breg0} (${armRegisterName(op - DW_OP.breg0)}) ${off >= 0 ? '+' : ''}${off}`,
        );
      } else {
        const name = OP_NAMES.get(op) ?? `DW_OP_0x${op.toString(16)}`;
        switch (op) {
          case DW_OP.addr:
            out.push(`${name} 0x${r.uSized(addressSize).toString(16)}`);
            break;
          case DW_OP.const1u:
          case DW_OP.pick:
          case DW_OP.deref_size:
            out.push(`${name} ${r.u8()}`);
            break;
          case DW_OP.const1s:
            out.push(`${name} ${r.i8()}`);
            break;
          case DW_OP.const2u:
            out.push(`${name} ${r.u16()}`);
            break;
          case DW_OP.const2s:
          case DW_OP.skip:
          case DW_OP.bra:
            out.push(`${name} ${r.i16()}`);
            break;
          case DW_OP.const4u:
            out.push(`${name} ${r.u32()}`);
            break;
          case DW_OP.const4s:
            out.push(`${name} ${r.i32()}`);
            break;
          case DW_OP.const8u:
          case DW_OP.const8s:
            out.push(`${name} ${r.u64Big()}`);
            break;
          case DW_OP.constu:
          case DW_OP.plus_uconst:
          case DW_OP.regx:
          case DW_OP.piece:
          case DW_OP.addrx:
          case DW_OP.constx:
            out.push(`${name} ${r.uleb()}`);
            break;
          case DW_OP.consts:
          case DW_OP.fbreg:
            out.push(`${name} ${r.sleb()}`);
            break;
          case DW_OP.bregx:
            out.push(`${name} ${r.uleb()} ${r.sleb()}`);
            break;
          case DW_OP.bit_piece:
            out.push(`${name} ${r.uleb()} ${r.uleb()}`);
            break;
          case DW_OP.implicit_value: {
            const n = r.uleb();
            out.push(
              `${name} ${[...r.bytes(n)].map((b) => b.toString(16).padStart(2, '0')).join('')}`,
            );
            break;
          }
          case DW_OP.entry_value:
          case DW_OP.GNU_entry_value: {
            const n = r.uleb();
            out.push(`${name} (${describeExpression(r.bytes(n), addressSize)})`);
            break;
          }
          default:
            out.push(name);
        }
      }
    }
  } catch (e) {
    if (!(e instanceof DwarfError)) throw e;
    out.push(`<malformed: ${e.message}>`);
  }
  return out.join(', ');
}
