/**
 * Where a system call was made from, for the Timeline's click: not the `svc` instruction's own
 * line (the apps runtime's inlined `asm!` in its syscall module, the same line for every call
 * of a class), but the first frame of the inline chain outside the crate that holds the `svc`.
 *
 * The chain is the address's line, then the call site (DW_AT_call_file / DW_AT_call_line) of
 * each inlined subroutine around it, innermost first (DWARF 5, 3.3.8.2). It is walked outwards
 * past frames in the `svc`'s crate (its nearest Cargo.toml) and in Rust's own library (files
 * outside the project: `core`, `alloc`), and stops at the first frame in another crate of the
 * project: the app's line. When the whole chain stays in the runtime (the call is made by a
 * runtime function the compiler kept out of line, such as a console write), the outermost
 * frame is given: the runtime function's own line that makes the call, which the caller of that
 * function reached only through a real call (finding it would need the stack at the call).
 *
 * @example
 *   const sites = new CallSites('/work/project');
 *   sites.appCallSite(program.lineChain(0x40518));
 *   // { path: 'apps/blink/src/main.rs', inProject: true, line: 12, column: 5, ... }
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { SourceLocation } from '../common/contract.js';
import { sourceLocation } from './debug-program.js';

/** One frame of an inline chain (debug-program.ts `lineChain`). */
export interface ChainFrame {
  file: string;
  line: number;
  column: number;
}

export class CallSites {
  private crates = new Map<string, string | null>();

  constructor(private readonly projectRoot: string) {}

  /** The crate directory (nearest Cargo.toml up to the project root) of a source file. */
  crateOf(file: string): string | null {
    const dir = path.dirname(path.resolve(this.projectRoot, file));
    if (this.crates.has(dir)) return this.crates.get(dir)!;
    const root = path.resolve(this.projectRoot);
    let found: string | null = null;
    for (let d = dir; d.startsWith(root); d = path.dirname(d)) {
      if (existsSync(path.join(d, 'Cargo.toml'))) {
        found = d;
        break;
      }
      if (d === root) break;
    }
    this.crates.set(dir, found);
    return found;
  }

  /**
   * The call site of a system call from its `svc` address's inline chain (innermost first), as
   * described above; null for an empty chain.
   */
  appCallSite(chain: readonly ChainFrame[]): SourceLocation | null {
    if (chain.length === 0) return null;
    const located = chain.map((c) => sourceLocation(this.projectRoot, c.file, c.line, c.column));
    // Crates by the project's own copy of each file (the images may have been built where the
    // project was before: a moved or copied project, whose recorded paths are elsewhere).
    const crateAt = (i: number): string | null =>
      this.crateOf(located[i]!.inProject ? located[i]!.path : chain[i]!.file);
    const runtime = crateAt(0);
    for (let i = 1; i < chain.length; i++) {
      if (!located[i]!.inProject) continue;
      const crate = crateAt(i);
      if (crate !== null && crate !== runtime) return located[i]!;
    }
    // All in the runtime (or in Rust's library): the outermost frame of the project.
    return [...located].reverse().find((l) => l.inProject) ?? located[0]!;
  }
}
