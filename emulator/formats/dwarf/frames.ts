/**
 * Frames and variables at a stop: backtraces with inlined frames, locals, and expressions.
 *
 * `backtrace` unwinds the physical stack (unwind.ts) and splits each physical frame into the
 * logical frames a person expects: one per inlined call, innermost first, each with its source
 * line (the call site for the outer ones), then the function itself. Exception entries show as
 * their own frame. `frameVariables` evaluates the variables of a frame's scopes (location
 * expressions and lists at the frame's PC, frame base, CFA) into values; `evaluateExpression`
 * reads a path expression (`self.apps[0].name`, `*ptr`, `KERNEL.processes`, `0x20001000 as
 * *const kernel::Kernel`) against a frame's variables and the statics of every image.
 *
 * Frames of a caller are looked up at return address - 1 (the call instruction), as every
 * debugger does, so a call at the very end of a function still resolves to that function.
 * When the innermost PC is exactly where inlined code begins, the inlined frame is not shown
 * yet (the program is about to enter it), as GDB does.
 *
 * @example
 *   const bt = await backtrace(programs, registers, mem);
 *   const locals = await frameVariables(programs, bt.frames[0], mem);
 *   const v = await evaluateExpression(programs, 'self.buffer', { frame: bt.frames[0], mem });
 */
import { err, ok, type Result } from '../../core/result';
import type { DebugInfo, Scope } from './debug-info';
import { DW_AT, DW_ATE } from './codes';
import {
  armRegisterName,
  ENTRY_VALUE_ERROR,
  evaluateLocation,
  evaluateValue,
  type ExprContext,
  type Piece,
} from './expr';
import { dieLocation } from './lists';
import type { ReadMemory } from './memory';
import { DwarfError } from './reader';
import type { RustType } from './types';
import {
  unwindStack,
  type ExceptionInfo,
  type PhysicalFrame,
  type StopRegisters,
  type UnwindOptions,
  type UnwindTable,
} from './unwind';
import {
  deref,
  members,
  readInteger,
  renderValue,
  subStorage,
  type Storage,
  type TypedValue,
  type ValueEnv,
  type ValueNode,
} from './values';
import type { Die } from './units';

/** Finds the image that holds an address (a single DebugInfo, or a ProgramSet). */
export interface ProgramLookup {
  programFor(address: number): DebugInfo | undefined;
  programs(): DebugInfo[];
}

export interface Frame {
  index: number;
  /** PC of the physical frame (runtime): the resume address or the return address. */
  pc: number;
  kind: 'function' | 'inlined' | 'exception' | 'unknown';
  /** Qualified function name, when known. */
  function?: string;
  /** Which image the code belongs to. */
  program?: string;
  file?: string;
  line?: number;
  column?: number;
  /** Scopes of this logical frame, innermost first (for variables). */
  scopes: Scope[];
  physical: PhysicalFrame;
  /** For the frame interrupted by an exception: how the hardware stacked it. */
  exception?: ExceptionInfo;
  /** How unwinding reached the next frame, when not by CFI. */
  note?: string;
}

export interface Backtrace {
  frames: Frame[];
  stopReason: string;
}

function lookupPc(p: PhysicalFrame): number {
  return p.exactPc ? p.pc : p.pc - 1;
}

/** An unwind table over several images (each lookup goes to the image holding the PC). */
export function unwindTableOf(programs: ProgramLookup): UnwindTable {
  return {
    rowAt: (address) => programs.programFor(address)?.unwindRowAt(address),
    functionStart: (address) => {
      const p = programs.programFor(address);
      const sym = p?.symbolAt(address, 'func');
      return sym && p ? p.toRuntime(sym.value) : undefined;
    },
  };
}

/** The logical frames (inlined calls expanded) of a stop. Never throws for bad input. */
export async function backtrace(
  programs: ProgramLookup,
  regs: StopRegisters,
  mem: ReadMemory,
  options: UnwindOptions = {},
): Promise<Backtrace> {
  const physical = await unwindStack(unwindTableOf(programs), regs, mem, options);
  const frames: Frame[] = [];
  for (const [i, p] of physical.frames.entries()) {
    const common = { physical: p, pc: p.pc };
    if (p.kind === 'exception') {
      frames.push({
        ...common,
        index: frames.length,
        kind: 'exception',
        function: '<exception entry>',
        scopes: [],
      });
      continue;
    }
    const at = lookupPc(p);
    const prog = programs.programFor(at);
    const note = physical.frames[i + 1]?.note;
    /** The innermost logical frame carries how it was interrupted; the outermost how its caller was found. */
    const extra = (f: Frame, innermost = true, outermost = true): Frame => {
      if (p.exception && innermost) f.exception = p.exception;
      if (note && outermost) f.note = note;
      return f;
    };
    if (!prog) {
      frames.push(extra({ ...common, index: frames.length, kind: 'unknown', scopes: [] }));
      continue;
    }
    let scopes: Scope[] = [];
    try {
      scopes = prog.scopesAt(at);
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
    }
    if (scopes.length === 0) {
      const fn = prog.functionAt(at);
      const f: Frame = {
        ...common,
        index: frames.length,
        kind: fn ? 'function' : 'unknown',
        program: prog.name,
        scopes: [],
      };
      if (fn) f.function = fn.name;
      const l = prog.lineFor(at);
      if (l) Object.assign(f, { file: l.file, line: l.line, column: l.column });
      frames.push(extra(f));
      continue;
    }
    // Split at inlined scopes: [blocks..., inlined] [blocks..., inlined] ... [blocks..., function].
    const groups: Scope[][] = [];
    let group: Scope[] = [];
    for (const s of scopes) {
      group.push(s);
      if (s.kind !== 'block') {
        groups.push(group);
        group = [];
      }
    }
    if (group.length) groups.push(group);
    // At the first instruction of inlined code the call has not happened yet: show the caller,
    // at the call site.
    let hiddenCallSite: Scope['callSite'] | undefined;
    if (i === 0 && p.exactPc) {
      while (groups.length > 1) {
        const owner = groups[0]![groups[0]!.length - 1]!;
        if (owner.kind !== 'inlined' || owner.entry !== p.pc) break;
        groups.shift();
        hiddenCallSite = owner.callSite;
      }
    }
    let loc: { file: string; line: number; column: number } | undefined = hiddenCallSite;
    if (!loc) {
      const l = prog.lineFor(at);
      if (l) loc = { file: l.file, line: l.line, column: l.column };
    }
    for (const [g, scopesOfFrame] of groups.entries()) {
      const owner = scopesOfFrame[scopesOfFrame.length - 1]!;
      const f: Frame = {
        ...common,
        index: frames.length,
        kind: owner.kind === 'inlined' ? 'inlined' : 'function',
        function: owner.name ?? '<unknown>',
        program: prog.name,
        scopes: scopesOfFrame,
      };
      if (loc) Object.assign(f, loc);
      extra(f, g === 0, g === groups.length - 1);
      frames.push(f);
      loc = owner.callSite;
    }
  }
  return { frames, stopReason: physical.stopReason };
}

/** The out-of-line function DIE of a frame (for DW_AT_frame_base). */
function functionDie(frame: Frame): Die | undefined {
  for (const s of frame.scopes) if (s.kind === 'function') return s.die;
  // Inlined frames use the frame base of the function they were inlined into.
  let d: Die | undefined = frame.scopes[0]?.die;
  while (d && d.tag !== 0x2e) d = d.parent;
  return d;
}

function exprContext(
  prog: DebugInfo,
  frame: Frame,
  mem: ReadMemory,
  unit: Die['unit'],
): ExprContext {
  const regs = frame.physical.regs;
  const ctx: ExprContext = {
    addressSize: unit.addressSize,
    readMemory: mem,
    register: (n) => regs.get(n),
    unit,
    addressBias: prog.bias,
  };
  if (frame.physical.cfa !== undefined) ctx.cfa = frame.physical.cfa;
  const fn = functionDie(frame);
  if (fn) {
    ctx.frameBase = async () => {
      const fb = dieLocation(fn, DW_AT.frame_base);
      if (!fb) return err('the function has no frame base');
      const expr =
        fb.kind === 'expr' ? fb.expr : pickEntry(fb.entries, prog.toLink(lookupPc(frame.physical)));
      if (!expr) return err('the frame base is not available here');
      return evaluateValue(expr, { ...ctx, frameBase: undefined });
    };
  }
  return ctx;
}

function pickEntry(
  entries: { start: number; end: number; expr: Uint8Array; isDefault?: boolean }[],
  pc: number,
): Uint8Array | undefined {
  let def: Uint8Array | undefined;
  for (const e of entries) {
    if (e.isDefault) def = e.expr;
    else if (pc >= e.start && pc < e.end) return e.expr;
  }
  return def;
}

/** Where a variable of `type` lives at this frame's PC. */
export async function variableStorage(
  prog: DebugInfo,
  frame: Frame,
  die: Die,
  type: RustType,
  mem: ReadMemory,
  options: VariableOptions = {},
): Promise<Storage> {
  const constBytes = constValueBytes(die, type);
  if (constBytes) return { kind: 'bytes', bytes: constBytes };
  let loc;
  try {
    loc = dieLocation(die);
  } catch (e) {
    if (!(e instanceof DwarfError)) throw e;
    return { kind: 'unavailable', reason: e.message };
  }
  if (!loc) return { kind: 'optimizedOut' };
  const pc = prog.toLink(lookupPc(frame.physical));
  const expr = loc.kind === 'expr' ? loc.expr : pickEntry(loc.entries, pc);
  if (!expr) return { kind: 'optimizedOut' };
  const ctx = exprContext(prog, frame, mem, die.unit);
  const r = await evaluateLocation(expr, ctx);
  // A value known only on entry (no call-site information to recover it) is gone: optimized out.
  if (!r.ok)
    return r.error === ENTRY_VALUE_ERROR
      ? { kind: 'optimizedOut' }
      : { kind: 'unavailable', reason: r.error };
  return piecesToStorage(r.value.pieces, type, frame, mem, options);
}

export interface VariableOptions {
  /**
   * Bytes of a variable that its pieces do not describe (a composite location shorter than
   * the type): 'optimizedOut' (default: nothing says what they hold) or 'zero' (what GDB shows).
   */
  uncoveredPieces?: 'optimizedOut' | 'zero';
}

async function piecesToStorage(
  pieces: Piece[],
  type: RustType,
  frame: Frame,
  mem: ReadMemory,
  options: VariableOptions,
): Promise<Storage> {
  const regs = frame.physical.regs;
  const size = type.size;
  if (pieces.length === 1 && pieces[0]!.sizeBits === undefined) {
    const loc = pieces[0]!.location;
    switch (loc.kind) {
      case 'memory':
        return { kind: 'memory', address: loc.address };
      case 'optimizedOut':
        return { kind: 'optimizedOut' };
      default: {
        const b = await pieceBytes(loc, size, regs, mem);
        return typeof b === 'string'
          ? { kind: 'unavailable', reason: b }
          : { kind: 'bytes', bytes: b };
      }
    }
  }
  const out = new Uint8Array(Math.max(size, 1));
  const valid = new Uint8Array(out.length);
  let bit = 0;
  let unavailable: string | undefined;
  for (const p of pieces) {
    const bits = p.sizeBits ?? size * 8 - bit;
    const bytes = Math.ceil(bits / 8);
    if (p.location.kind !== 'optimizedOut') {
      const b = await pieceBytes(p.location, bytes, regs, mem, p.bitOffset);
      if (typeof b === 'string') unavailable ??= b;
      else if (bit % 8 === 0) {
        for (let i = 0; i < bytes && bit / 8 + i < out.length; i++) {
          out[bit / 8 + i] = b[i]!;
          valid[bit / 8 + i] = 1;
        }
      }
    }
    bit += bits;
  }
  if (options.uncoveredPieces === 'zero')
    for (let i = Math.ceil(bit / 8); i < valid.length; i++) valid[i] = 1;
  if (!valid.some((x) => x))
    return unavailable ? { kind: 'unavailable', reason: unavailable } : { kind: 'optimizedOut' };
  return { kind: 'bytes', bytes: out, valid };
}

async function pieceBytes(
  loc: Piece['location'],
  size: number,
  regs: Map<number, number>,
  mem: ReadMemory,
  bitOffset = 0,
): Promise<Uint8Array | string> {
  const out = new Uint8Array(size);
  switch (loc.kind) {
    case 'memory': {
      const r = await mem(loc.address + Math.floor(bitOffset / 8), size);
      return r.ok ? r.value : r.error;
    }
    case 'register': {
      // A value wider than one register continues in the next ones (r0:r1 for a u64).
      for (let i = 0; i * 4 < size; i++) {
        const v = regs.get(loc.reg + i);
        if (v === undefined)
          return `${armRegisterName(loc.reg + i)} is not available in this frame`;
        const shifted = i === 0 ? v >>> bitOffset : v;
        for (let k = 0; k < 4 && i * 4 + k < size; k++)
          out[i * 4 + k] = (shifted >>> (8 * k)) & 0xff;
      }
      return out;
    }
    case 'value': {
      let v = BigInt(loc.value >>> 0);
      for (let i = 0; i < size; i++) {
        out[i] = Number(v & 0xffn);
        v >>= 8n;
      }
      return out;
    }
    case 'implicit':
      out.set(loc.bytes.subarray(0, size));
      return out;
    case 'implicitPointer':
      return 'the pointer has no address (the value it points to was optimized into registers)';
    case 'optimizedOut':
      return 'optimized out';
  }
}

function constValueBytes(die: Die, type: RustType): Uint8Array | undefined {
  if (!die.has(DW_AT.const_value)) return undefined;
  const raw = die.raw(DW_AT.const_value);
  if (raw instanceof Uint8Array) return raw;
  const size = Math.max(type.size, 1);
  let v = typeof raw === 'bigint' ? raw : BigInt(die.signed(DW_AT.const_value) ?? 0);
  v = BigInt.asUintN(size * 8, v);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export interface FrameVariable {
  name: string;
  isParameter: boolean;
  /** Depth of the scope in the frame: 0 = innermost block. */
  scopeDepth: number;
  value: TypedValue;
}

/** The variables of a frame's scopes with their values' locations resolved (no reads yet). */
export async function frameVariables(
  programs: ProgramLookup,
  frame: Frame,
  mem: ReadMemory,
  options: VariableOptions = {},
): Promise<FrameVariable[]> {
  const prog = programs.programFor(lookupPc(frame.physical));
  if (!prog) return [];
  const out: FrameVariable[] = [];
  for (const [depth, scope] of frame.scopes.entries()) {
    for (const v of scope.variables) {
      const origin = v.die.ref(DW_AT.abstract_origin);
      const typeDie = v.die.has(DW_AT.type) ? v.die : (origin ?? v.die);
      const type = prog.types.typeOf(typeDie);
      const storage: Storage = v.abstractOnly
        ? { kind: 'optimizedOut' }
        : await variableStorage(prog, frame, v.die, type, mem, options);
      out.push({
        name: v.name,
        isParameter: v.isParameter,
        scopeDepth: depth,
        value: { name: v.name, type, storage },
      });
    }
  }
  return out;
}

/** A ValueEnv over every image of a session (vtables and symbols from whichever holds them). */
export function valueEnv(programs: ProgramLookup, mem: ReadMemory): ValueEnv {
  return {
    mem,
    vtableType: (a) => {
      for (const p of programs.programs()) {
        const t = p.vtableType(a);
        if (t) return t;
      }
      return undefined;
    },
    symbolAt: (a) =>
      programs.programFor(a)?.symbolize(a) ??
      programs
        .programs()
        .map((p) => p.symbolize(a))
        .find((x) => x),
  };
}

export interface EvaluateOptions {
  frame?: Frame;
  mem: ReadMemory;
}

type Token = { kind: 'ident' | 'num' | 'punct'; text: string };

function tokenize(s: string): Result<Token[]> {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(0x[0-9a-fA-F_]+|\d[\d_]*)/.exec(s.slice(i));
    if (num) {
      out.push({ kind: 'num', text: num[1]!.replace(/_/g, '') });
      i += num[1]!.length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i));
    if (id) {
      out.push({ kind: 'ident', text: id[0] });
      i += id[0].length;
      continue;
    }
    if (s.startsWith('::', i)) {
      out.push({ kind: 'punct', text: '::' });
      i += 2;
      continue;
    }
    if ('.[]()*&<>,;'.includes(c)) {
      out.push({ kind: 'punct', text: c });
      i++;
      continue;
    }
    return err(`unexpected character '${c}' at column ${i + 1}`);
  }
  return ok(out);
}

/**
 * Evaluate a path expression: identifiers (frame variables first, then statics of any image,
 * qualified or not), `.field`, `.0` (tuple fields), `[index]` (arrays, slices, pointers),
 * `*expr` (dereference, also of `&dyn` to the concrete type), `&expr` (address),
 * `expr as Type` (reinterpret: a number as a pointer, a pointer as another pointer type).
 */
export async function evaluateExpression(
  programs: ProgramLookup,
  text: string,
  options: EvaluateOptions,
): Promise<Result<ValueNode>> {
  const toks = tokenize(text);
  if (!toks.ok) return toks;
  const env = valueEnv(programs, options.mem);
  const t = toks.value;
  let pos = 0;
  const peek = (): Token | undefined => t[pos];
  const take = (text?: string): Token | undefined => {
    const k = t[pos];
    if (k && (text === undefined || k.text === text)) {
      pos++;
      return k;
    }
    return undefined;
  };
  const frameVars = options.frame ? await frameVariables(programs, options.frame, options.mem) : [];
  const u32 = (n: number): TypedValue => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n >>> 0, true);
    return {
      name: String(n),
      type: { kind: 'base', name: 'usize', size: 4, encoding: DW_ATE.unsigned },
      storage: { kind: 'bytes', bytes: b },
    };
  };
  const findType = (name: string): RustType | undefined => {
    for (const p of programs.programs()) {
      const ty = p.findType(name);
      if (ty) return ty;
    }
    return undefined;
  };
  const typeText = (): string => {
    // Everything up to a closing paren or the end, balanced in <> and [].
    let depth = 0;
    let s = '';
    while (pos < t.length) {
      const k = t[pos]!;
      if (depth === 0 && (k.text === ')' || k.text === ']' || k.text === '.')) break;
      if (k.text === '<' || k.text === '[') depth++;
      if (k.text === '>' || k.text === ']') depth--;
      s += k.kind === 'ident' && /[A-Za-z0-9_]$/.test(s) ? ` ${k.text}` : k.text;
      pos++;
    }
    return s.replace(/(const|mut)(?=[A-Za-z_&*[(])/g, '$1 ');
  };
  const primary = async (): Promise<Result<TypedValue>> => {
    if (take('(')) {
      const v = await expr();
      if (!v.ok) return v;
      if (!take(')')) return err("expected ')'");
      return v;
    }
    const k = take();
    if (!k) return err('expression ends too early');
    if (k.kind === 'num') return ok(u32(Number(k.text)));
    if (k.kind !== 'ident') return err(`unexpected '${k.text}'`);
    let name = k.text;
    while (peek()?.text === '::' && t[pos + 1]?.kind === 'ident') {
      pos++;
      name += `::${take()!.text}`;
    }
    const local = frameVars
      .filter((v) => v.name === name)
      .sort((a, b) => a.scopeDepth - b.scopeDepth)[0];
    if (local) return ok(local.value);
    for (const p of programs.programs()) {
      const s = p.findStatic(name);
      if (s.length > 0) {
        const st = s[0]!;
        return ok({ name, type: st.type, storage: { kind: 'memory', address: st.address } });
      }
    }
    return err(`no variable or static named ${name}${options.frame ? ' in this frame' : ''}`);
  };
  const postfix = async (): Promise<Result<TypedValue>> => {
    let v = await primary();
    for (;;) {
      if (!v.ok) return v;
      if (take('.')) {
        const k = take();
        if (!k || (k.kind !== 'ident' && k.kind !== 'num'))
          return err("expected a field name after '.'");
        v = await field(v.value, k.kind === 'num' ? `__${k.text}` : k.text);
      } else if (take('[')) {
        const i = await expr();
        if (!i.ok) return i;
        if (!take(']')) return err("expected ']'");
        const n = await readInteger(env, i.value);
        if (!n.ok) return n;
        v = await index(v.value, Number(n.value));
      } else if (peek()?.text === 'as') {
        pos++;
        const tn = typeText();
        const ty = findType(tn);
        if (!ty) return err(`no type named ${tn}`);
        v = await cast(v.value, ty);
      } else return v;
    }
  };
  const unary = async (): Promise<Result<TypedValue>> => {
    if (take('*')) {
      const v = await unary();
      if (!v.ok) return v;
      return derefAny(v.value);
    }
    if (take('&')) {
      const v = await unary();
      if (!v.ok) return v;
      if (v.value.storage.kind !== 'memory') return err(`${v.value.name} has no address`);
      const ty: RustType = {
        kind: 'pointer',
        name: `&${v.value.type.name}`,
        size: 4,
        flavor: 'ref',
        pointee: v.value.type,
      };
      const a = u32(v.value.storage.address);
      return ok({ ...a, name: `&${v.value.name}`, type: ty });
    }
    return postfix();
  };
  const expr = unary;
  const field = async (v: TypedValue, name: string): Promise<Result<TypedValue>> => {
    let cur = v;
    // Auto-dereference pointers and look through cells, as Rust's `.` does for references.
    for (let hops = 0; hops < 4 && cur.type.kind === 'pointer'; hops++) {
      const d = await derefAny(cur);
      if (!d.ok) return d;
      cur = d.value;
    }
    if (cur.type.kind === 'enum') {
      const n = await renderValue(env, cur);
      const inner = (await n.children()).map((c) => c.value);
      const f = inner.find((x) => x.name === name);
      return f ? ok(f) : err(`${cur.type.name} (${n.text}) has no field ${name}`);
    }
    const ms = await members(env, cur);
    const f = ms.find((m) => m.name === name);
    if (!f)
      return err(
        `${cur.type.name} has no field ${name} (fields: ${ms.map((m) => m.name).join(', ')})`,
      );
    return ok({ ...f, name: `${v.name}.${name}` });
  };
  const index = async (v: TypedValue, i: number): Promise<Result<TypedValue>> => {
    const ty = v.type;
    if (ty.kind === 'array') {
      if (i >= ty.count) return err(`index ${i} is out of bounds (length ${ty.count})`);
      return ok({
        name: `${v.name}[${i}]`,
        type: ty.element,
        storage: subStorage(v.storage, i * ty.stride, ty.element.size),
      });
    }
    if (ty.kind === 'struct') {
      const ms = await members(env, v);
      const ptr = ms.find((m) => m.name === 'data_ptr');
      const len = ms.find((m) => m.name === 'length');
      if (ptr && len && ptr.type.kind === 'pointer' && ptr.type.pointee) {
        const [p, l] = [await readInteger(env, ptr), await readInteger(env, len)];
        if (!p.ok) return p;
        if (!l.ok) return l;
        if (BigInt(i) >= l.value) return err(`index ${i} is out of bounds (length ${l.value})`);
        const el = ptr.type.pointee;
        return ok({
          name: `${v.name}[${i}]`,
          type: el,
          storage: { kind: 'memory', address: Number(p.value) + i * el.size },
        });
      }
    }
    if (ty.kind === 'pointer') {
      const d = await deref(env, v);
      if (!d.ok) return d;
      const el = d.value.type;
      const s = d.value.storage;
      return ok({
        name: `${v.name}[${i}]`,
        type: el,
        storage: s.kind === 'memory' ? { kind: 'memory', address: s.address + i * el.size } : s,
      });
    }
    return err(`${ty.name} cannot be indexed`);
  };
  const derefAny = async (v: TypedValue): Promise<Result<TypedValue>> => {
    if (v.type.kind === 'pointer') return deref(env, v);
    const ms = await members(env, v);
    const pointer = ms.find((m) => m.name === 'pointer');
    const vtable = ms.find((m) => m.name === 'vtable');
    if (pointer && vtable && ms.length === 2) {
      const p = await readInteger(env, pointer);
      const vt = await readInteger(env, vtable);
      if (!p.ok) return p;
      if (!vt.ok) return vt;
      const concrete = env.vtableType?.(Number(vt.value));
      if (!concrete) return err(`the vtable at 0x${vt.value.toString(16)} names no known type`);
      return ok({
        name: `*${v.name}`,
        type: concrete,
        storage: { kind: 'memory', address: Number(p.value) },
      });
    }
    return err(`${v.type.name} cannot be dereferenced`);
  };
  const cast = async (v: TypedValue, ty: RustType): Promise<Result<TypedValue>> => {
    if (ty.kind === 'pointer' || ty.size <= 8) {
      const n = await readInteger(env, v);
      if (!n.ok) return n;
      if (ty.kind === 'pointer' || v.type.kind !== 'pointer') {
        const b = new Uint8Array(Math.max(ty.size, 4));
        new DataView(b.buffer).setUint32(0, Number(BigInt.asUintN(32, n.value)), true);
        return ok({
          name: v.name,
          type: ty,
          storage: { kind: 'bytes', bytes: b.subarray(0, Math.max(ty.size, 1)) },
        });
      }
    }
    // A pointer reinterpreted as a non-pointer type: the object at that address.
    const n = await readInteger(env, v);
    if (!n.ok) return n;
    return ok({ name: v.name, type: ty, storage: { kind: 'memory', address: Number(n.value) } });
  };
  const result = await expr();
  if (!result.ok) return result;
  if (pos < t.length) return err(`unexpected '${t[pos]!.text}' after the expression`);
  return ok(await renderValue(env, { ...result.value, name: text.trim() }));
}
