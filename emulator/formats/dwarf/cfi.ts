/**
 * Call frame information from .debug_frame (DWARF 5 section 6.4): how to find a caller's frame.
 *
 * `CallFrameInfo` indexes every FDE by its address range when the image loads (headers only)
 * and runs the CIE's and FDE's instructions when asked for the row at one address. A row gives
 * the CFA rule and one rule per register (undefined, same value, saved at CFA+N, value CFA+N,
 * in another register, or by expression). CIEs of version 1, 3 and 4 are read, with or without
 * a 'z' augmentation; an FDE that cannot be parsed is skipped with a warning naming it.
 *
 * @example
 *   const cfi = CallFrameInfo.parse(sections.frame, warnings);
 *   const row = cfi.rowAt(pc);   // { cfa: { kind: 'reg', reg: 13, offset: 8 }, rules: Map { 14 => ... } }
 */
import { ByteReader, DwarfError, lastAtOrBelow } from './reader';
import { DW_CFA } from './codes';

export type RegisterRule =
  | { kind: 'undefined' }
  | { kind: 'same' }
  | { kind: 'offset'; offset: number }
  | { kind: 'valOffset'; offset: number }
  | { kind: 'register'; reg: number }
  | { kind: 'expression'; expr: Uint8Array }
  | { kind: 'valExpression'; expr: Uint8Array };

export type CfaRule =
  { kind: 'reg'; reg: number; offset: number } | { kind: 'expression'; expr: Uint8Array };

export interface UnwindRow {
  /** First address this row applies to. */
  address: number;
  cfa: CfaRule;
  rules: Map<number, RegisterRule>;
  returnAddressRegister: number;
}

interface Cie {
  offset: number;
  version: number;
  codeAlign: number;
  dataAlign: number;
  raReg: number;
  initial: Uint8Array;
  addressSize: number;
  /** 'z' augmentation: FDEs carry an augmentation data length. */
  augmented: boolean;
}

export interface Fde {
  offset: number;
  start: number;
  end: number;
  cie: Cie;
  instructions: Uint8Array;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export class CallFrameInfo {
  private constructor(readonly fdes: Fde[]) {}

  /** Index `.debug_frame`; `addressSize` applies to CIEs before version 4. */
  static parse(data: Uint8Array | undefined, warnings: string[], addressSize = 4): CallFrameInfo {
    const fdes: Fde[] = [];
    if (!data) return new CallFrameInfo(fdes);
    const cies = new Map<number, Cie | null>();
    const readCie = (offset: number): Cie | null => {
      if (cies.has(offset)) return cies.get(offset)!;
      cies.set(offset, null);
      try {
        const r: ByteReader = new ByteReader(data, '.debug_frame', offset);
        const { length, is64 } = r.initialLength();
        const end = r.pos + length;
        if (end > data.length) r.fail('CIE runs past the end of the section');
        r.end = end;
        const id = is64 ? r.u64() : r.u32();
        if (id !== (is64 ? 2 ** 64 - 1 : 0xffffffff)) r.fail(`not a CIE (id ${hex(id)})`);
        const version = r.u8();
        if (version !== 1 && version !== 3 && version !== 4)
          r.fail(`unsupported CIE version ${version}`);
        const augmentation = r.cstr();
        let cieAddressSize = addressSize;
        if (version >= 4) {
          cieAddressSize = r.u8();
          r.u8(); // segment selector size
        }
        const codeAlign = r.uleb();
        const dataAlign = r.sleb();
        const raReg = version === 1 ? r.u8() : r.uleb();
        if (augmentation.startsWith('z')) r.skip(r.uleb());
        else if (augmentation !== '') r.fail(`unknown augmentation "${augmentation}"`);
        const cie: Cie = {
          offset,
          version,
          codeAlign,
          dataAlign,
          raReg,
          initial: r.bytes(end - r.pos),
          addressSize: cieAddressSize,
          augmented: augmentation.startsWith('z'),
        };
        cies.set(offset, cie);
        return cie;
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        warnings.push(`skipped the CIE at .debug_frame ${hex(offset)}: ${e.message}`);
        return null;
      }
    };
    let offset = 0;
    while (offset + 4 <= data.length) {
      const r: ByteReader = new ByteReader(data, '.debug_frame', offset);
      let next: number;
      try {
        const { length, is64 } = r.initialLength();
        next = r.pos + length;
        if (length === 0) {
          offset = next;
          continue;
        }
        if (next > data.length) r.fail('entry runs past the end of the section');
        r.end = next;
        const id = is64 ? r.u64() : r.u32();
        const isCie = id === (is64 ? 2 ** 64 - 1 : 0xffffffff);
        if (!isCie) {
          const cie = readCie(id);
          if (!cie) r.fail(`FDE refers to a CIE at ${hex(id)} that cannot be read`);
          const start = r.uSized(cie.addressSize);
          const range = r.uSized(cie.addressSize);
          if (cie.augmented) r.skip(r.uleb());
          fdes.push({
            offset,
            start,
            end: start + range,
            cie,
            instructions: r.bytes(next - r.pos),
          });
        }
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        warnings.push(`skipped the rest of .debug_frame after ${hex(offset)}: ${e.message}`);
        break;
      }
      offset = next;
    }
    // Functions the linker dropped keep FDEs at address 0 with their old size; sort so that
    // lookups find real code first.
    fdes.sort((a, b) => a.start - b.start || b.end - a.end);
    return new CallFrameInfo(fdes);
  }

  /** The FDE whose range holds `address`, if any. */
  fdeFor(address: number): Fde | undefined {
    const f = this.fdes;
    const best = lastAtOrBelow(f, address, (x) => x.start);
    for (let i = best; i >= 0 && i > best - 16; i--) {
      const fde = f[i]!;
      if (fde.start <= address && address < fde.end && fde.end > fde.start) return fde;
    }
    return undefined;
  }

  /** The unwind row in force at `address`, or undefined when no FDE covers it. */
  rowAt(address: number): UnwindRow | undefined {
    const fde = this.fdeFor(address);
    if (!fde) return undefined;
    return executeRow(fde, address);
  }
}

/** Runs the CIE's initial instructions, then the FDE's up to `target`. Throws DwarfError. */
export function executeRow(fde: Fde, target: number): UnwindRow {
  const cie = fde.cie;
  const row: UnwindRow = {
    address: fde.start,
    cfa: { kind: 'reg', reg: 13, offset: 0 },
    rules: new Map(),
    returnAddressRegister: cie.raReg,
  };
  const initialRules = new Map<number, RegisterRule>();
  const run = (code: Uint8Array, name: string, isInitial: boolean): boolean => {
    const r: ByteReader = new ByteReader(code, name);
    const stack: { cfa: CfaRule; rules: Map<number, RegisterRule> }[] = [];
    let loc = fde.start;
    const setRule = (reg: number, rule: RegisterRule): void => {
      row.rules.set(reg, rule);
    };
    while (!r.atEnd()) {
      const op = r.u8();
      const high = op & 0xc0;
      const low = op & 0x3f;
      if (high === DW_CFA.advance_loc) {
        loc += low * cie.codeAlign;
        if (!isInitial && loc > target) return false;
        row.address = loc;
        continue;
      }
      if (high === DW_CFA.offset) {
        setRule(low, { kind: 'offset', offset: r.uleb() * cie.dataAlign });
        continue;
      }
      if (high === DW_CFA.restore) {
        const init = initialRules.get(low);
        if (init) row.rules.set(low, init);
        else row.rules.delete(low);
        continue;
      }
      switch (op) {
        case DW_CFA.nop:
          break;
        case DW_CFA.set_loc:
          loc = r.uSized(cie.addressSize);
          if (!isInitial && loc > target) return false;
          row.address = loc;
          break;
        case DW_CFA.advance_loc1:
        case DW_CFA.advance_loc2:
        case DW_CFA.advance_loc4: {
          const d =
            op === DW_CFA.advance_loc1 ? r.u8() : op === DW_CFA.advance_loc2 ? r.u16() : r.u32();
          loc += d * cie.codeAlign;
          if (!isInitial && loc > target) return false;
          row.address = loc;
          break;
        }
        case DW_CFA.offset_extended:
          setRule(r.uleb(), { kind: 'offset', offset: r.uleb() * cie.dataAlign });
          break;
        case DW_CFA.offset_extended_sf:
          setRule(r.uleb(), { kind: 'offset', offset: r.sleb() * cie.dataAlign });
          break;
        case DW_CFA.GNU_negative_offset_extended:
          setRule(r.uleb(), { kind: 'offset', offset: -r.uleb() * cie.dataAlign });
          break;
        case DW_CFA.val_offset:
          setRule(r.uleb(), { kind: 'valOffset', offset: r.uleb() * cie.dataAlign });
          break;
        case DW_CFA.val_offset_sf:
          setRule(r.uleb(), { kind: 'valOffset', offset: r.sleb() * cie.dataAlign });
          break;
        case DW_CFA.restore_extended: {
          const reg = r.uleb();
          const init = initialRules.get(reg);
          if (init) row.rules.set(reg, init);
          else row.rules.delete(reg);
          break;
        }
        case DW_CFA.undefined:
          setRule(r.uleb(), { kind: 'undefined' });
          break;
        case DW_CFA.same_value:
          setRule(r.uleb(), { kind: 'same' });
          break;
        case DW_CFA.register: {
          const reg = r.uleb();
          setRule(reg, { kind: 'register', reg: r.uleb() });
          break;
        }
        case DW_CFA.remember_state:
          if (stack.length > 1000) r.fail('remember_state nests too deep');
          stack.push({ cfa: { ...row.cfa }, rules: new Map(row.rules) });
          break;
        case DW_CFA.restore_state: {
          const s = stack.pop();
          if (!s) r.fail('restore_state without remember_state');
          row.cfa = s.cfa;
          row.rules = s.rules;
          break;
        }
        case DW_CFA.def_cfa:
          row.cfa = { kind: 'reg', reg: r.uleb(), offset: r.uleb() };
          break;
        case DW_CFA.def_cfa_sf:
          row.cfa = { kind: 'reg', reg: r.uleb(), offset: r.sleb() * cie.dataAlign };
          break;
        case DW_CFA.def_cfa_register:
          if (row.cfa.kind !== 'reg') r.fail('def_cfa_register with an expression CFA');
          row.cfa = { ...row.cfa, reg: r.uleb() };
          break;
        case DW_CFA.def_cfa_offset:
          if (row.cfa.kind !== 'reg') r.fail('def_cfa_offset with an expression CFA');
          row.cfa = { ...row.cfa, offset: r.uleb() };
          break;
        case DW_CFA.def_cfa_offset_sf:
          if (row.cfa.kind !== 'reg') r.fail('def_cfa_offset_sf with an expression CFA');
          row.cfa = { ...row.cfa, offset: r.sleb() * cie.dataAlign };
          break;
        case DW_CFA.def_cfa_expression:
          row.cfa = { kind: 'expression', expr: r.bytes(r.uleb()) };
          break;
        case DW_CFA.expression: {
          const reg = r.uleb();
          setRule(reg, { kind: 'expression', expr: r.bytes(r.uleb()) });
          break;
        }
        case DW_CFA.val_expression: {
          const reg = r.uleb();
          setRule(reg, { kind: 'valExpression', expr: r.bytes(r.uleb()) });
          break;
        }
        case DW_CFA.GNU_args_size:
          r.uleb();
          break;
        default:
          r.fail(`unknown call frame instruction 0x${op.toString(16)}`);
      }
    }
    return true;
  };
  run(cie.initial, `.debug_frame CIE ${hex(cie.offset)}`, true);
  for (const [k, v] of row.rules) initialRules.set(k, v);
  row.address = fde.start;
  run(fde.instructions, `.debug_frame FDE ${hex(fde.offset)}`, false);
  return row;
}
