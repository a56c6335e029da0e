/**
 * Where a kernel struct's field is declared in the project's Rust source: the Cells panel's
 * "go to declaration" and the editor's inline cell decorations need the line of
 * `buffer: TakeCell<'static, [u8]>` in `struct Console`. rustc's DWARF gives no declaration line
 * for struct members (only for functions and variables), so the source is searched instead: the
 * owner's path names the crate (its Cargo.toml `name`, `-` read as `_`) and the module (the file
 * `src/a/b.rs` or `src/a/b/mod.rs`, else any file of the crate), the struct's body is found by
 * `struct Name` and its braces, and the field by `name:` at the start of a line in that body.
 *
 * @example
 *   const decls = new FieldDeclarations('/work/project');
 *   decls.find('capsules::console::Console', 'buffer');
 *   // { path: 'capsules/src/console.rs', inProject: true, line: 61, column: 5 }
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SourceLocation } from '../common/contract.js';

const SKIP_DIRS = new Set(['target', 'node_modules', '.git', 'apps']);

/** Finds the declaration of a struct field in the project's crates (cached per project). */
export class FieldDeclarations {
  private crates: Map<string, string> | null = null;
  private found = new Map<string, SourceLocation | null>();
  private files = new Map<string, string[]>();

  constructor(private readonly projectRoot: string) {}

  /** `owner` is a type path without generics (`capsules::console::Console`). */
  find(owner: string, field: string): SourceLocation | null {
    const key = `${owner}.${field}`;
    if (this.found.has(key)) return this.found.get(key)!;
    const at = this.search(owner, field);
    this.found.set(key, at);
    return at;
  }

  private cratesByName(): Map<string, string> {
    if (this.crates) return this.crates;
    const crates = new Map<string, string>();
    const walk = (dir: string, depth: number): void => {
      const manifest = path.join(dir, 'Cargo.toml');
      if (existsSync(manifest)) {
        const name = /^\s*name\s*=\s*"([^"]+)"/m.exec(readFileSync(manifest, 'utf8'));
        if (name && existsSync(path.join(dir, 'src'))) crates.set(name[1]!.replace(/-/g, '_'), dir);
      }
      if (depth >= 4) return;
      let entries: string[];
      try {
        entries = readdirSync(dir);
      } catch {
        return;
      }
      for (const e of entries) {
        if (SKIP_DIRS.has(e) || e.startsWith('.')) continue;
        const p = path.join(dir, e);
        try {
          if (statSync(p).isDirectory()) walk(p, depth + 1);
        } catch {
          // A file removed while listing: nothing to find there.
        }
      }
    };
    walk(this.projectRoot, 0);
    this.crates = crates;
    return crates;
  }

  private rustFiles(dir: string): string[] {
    const cached = this.files.get(dir);
    if (cached) return cached;
    const out: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.rs')) out.push(p);
      }
    };
    walk(path.join(dir, 'src'));
    this.files.set(dir, out);
    return out;
  }

  private search(owner: string, field: string): SourceLocation | null {
    const parts = owner.split('::');
    if (parts.length < 2) return null;
    const [crate, ...rest] = parts;
    const type = rest.pop()!;
    const dir = this.cratesByName().get(crate!);
    if (!dir) return null;
    const src = path.join(dir, 'src');
    const module = rest.join('/');
    const likely = module
      ? [path.join(src, `${module}.rs`), path.join(src, module, 'mod.rs')]
      : [path.join(src, 'lib.rs'), path.join(src, 'main.rs')];
    const candidates = [
      ...likely.filter((f) => existsSync(f)),
      ...this.rustFiles(dir).filter((f) => !likely.includes(f)),
    ];
    for (const file of candidates) {
      const at = fieldIn(readFileSync(file, 'utf8'), type, field);
      if (at) {
        const rel = path.relative(this.projectRoot, file).split(path.sep).join('/');
        return { path: rel, inProject: !rel.startsWith('..'), line: at.line, column: at.column };
      }
    }
    return null;
  }
}

/** The line and column (1-based) of `field:` in the body of `struct type`, or null. */
export function fieldIn(
  text: string,
  type: string,
  field: string,
): { line: number; column: number } | null {
  const decl = new RegExp(`\\bstruct\\s+${type}\\b[^{;]*\\{`, 'g');
  const m = decl.exec(text);
  if (!m) return null;
  // The body: to the brace that closes the struct's (comments and strings hold no braces in
  // field lists worth counting; a `{` in a doc comment would only widen the search).
  let depth = 1;
  let end = m.index + m[0].length;
  for (; end < text.length && depth > 0; end++) {
    if (text[end] === '{') depth++;
    else if (text[end] === '}') depth--;
  }
  const bodyStart = m.index + m[0].length;
  const body = text.slice(bodyStart, end);
  const f = new RegExp(`^(\\s*(?:pub(?:\\([^)]*\\))?\\s+)?)${field}\\s*:`, 'm').exec(body);
  if (!f) return null;
  const offset = bodyStart + f.index + f[1]!.length;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
