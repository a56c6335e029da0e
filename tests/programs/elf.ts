/**
 * Test images from GNU assembly: `buildElf` assembles and links a source for mps2-an386 (code at
 * 0, data at 0x20000000; see tests/lockstep/assemble.ts) and returns the ELF's bytes and symbols,
 * so tests in pure folders can build programs without touching Node themselves.
 *
 * @example
 *   const { bytes, symbol } = buildElf('bp', source);
 *   session.load(bytes); target.setBreakpoint(symbol('loop'));
 */
import { readFileSync } from 'node:fs';
import { parseElf } from '../../emulator/formats/elf';
import { assemble } from '../lockstep/assemble';

export function buildElf(
  name: string,
  source: string,
): { bytes: Uint8Array; symbol: (name: string) => number } {
  const r = assemble(name, source);
  if (!r.ok) throw new Error(r.error);
  const bytes = new Uint8Array(readFileSync(r.value));
  const symbols = parseElf(bytes).symbols;
  return {
    bytes,
    symbol(n) {
      const s = symbols.find((x) => x.name === n);
      if (!s) throw new Error(`${name} has no symbol ${n}`);
      return s.value & ~1;
    },
  };
}
