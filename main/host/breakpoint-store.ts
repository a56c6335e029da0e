/**
 * The project's breakpoints, kept across restarts: one JSON file per project in the user's
 * cache folder (`${XDG_CACHE_HOME:-~/.cache}/capsule-studio/breakpoints/<project hash>.json`).
 *
 * They live beside the recovery store, not in the project: breakpoints are a person's working
 * state, like VS Code's workspace storage, and must not show up in the project's files, its
 * explorer or its version control. The file is written atomically after every change; a damaged
 * or unreadable file loses only the breakpoints (reported once), never the project.
 *
 * Hit conditions are checked here too (pure): "5" stops from the 5th hit on, ">= 5", "== 5",
 * "> 5", "% 5" every 5th hit.
 *
 * @example
 *   const store = await BreakpointStore.open(root);
 *   await store.set('capsules/src/console.rs', [{ line: 154 }]);
 *   store.all(); // [{ path, breakpoints: [{ line: 154 }] }]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BreakpointSpec } from '../common/contract.js';
import { writeFileAtomic } from './atomic.js';

export function defaultBreakpointDir(): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'capsule-studio', 'breakpoints');
}

interface StoredFile {
  version: 1;
  project: string;
  files: Record<string, BreakpointSpec[]>;
}

function clean(specs: BreakpointSpec[]): BreakpointSpec[] {
  const byLine = new Map<number, BreakpointSpec>();
  for (const s of specs) {
    if (!Number.isInteger(s.line) || s.line < 1) continue;
    const out: BreakpointSpec = { line: s.line };
    if (s.condition?.trim()) out.condition = s.condition.trim();
    if (s.hitCondition?.trim()) out.hitCondition = s.hitCondition.trim();
    if (s.enabled === false) out.enabled = false;
    byLine.set(s.line, out);
  }
  return [...byLine.values()].sort((a, b) => a.line - b.line);
}

export class BreakpointStore {
  private files = new Map<string, BreakpointSpec[]>();
  /** Why the saved breakpoints could not be read, once. */
  problem: string | null = null;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly projectRoot: string,
    readonly file: string,
  ) {}

  static open(projectRoot: string, dir = defaultBreakpointDir()): BreakpointStore {
    const key = createHash('sha256').update(path.resolve(projectRoot)).digest('hex').slice(0, 16);
    const store = new BreakpointStore(path.resolve(projectRoot), path.join(dir, `${key}.json`));
    let text: string | null = null;
    try {
      text = readFileSync(store.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        store.problem = `the saved breakpoints (${store.file}) could not be read: ${(e as Error).message}`;
    }
    if (text !== null) {
      try {
        const raw = JSON.parse(text) as Partial<StoredFile>;
        for (const [p, specs] of Object.entries(raw.files ?? {})) {
          if (Array.isArray(specs) && typeof p === 'string') store.files.set(p, clean(specs));
        }
      } catch (e) {
        store.problem = `the saved breakpoints (${store.file}) are damaged and were not loaded: ${(e as Error).message}`;
      }
    }
    return store;
  }

  all(): { path: string; breakpoints: BreakpointSpec[] }[] {
    return [...this.files.entries()]
      .filter(([, b]) => b.length > 0)
      .map(([p, breakpoints]) => ({ path: p, breakpoints }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  get(file: string): BreakpointSpec[] {
    return this.files.get(file) ?? [];
  }

  /** Replaces one file's breakpoints and saves; resolves once written (errors are reported). */
  set(file: string, specs: BreakpointSpec[]): Promise<string | null> {
    const cleaned = clean(specs);
    if (cleaned.length) this.files.set(file, cleaned);
    else this.files.delete(file);
    return this.save();
  }

  /** A file was renamed or moved: its breakpoints follow it. */
  rename(from: string, to: string): Promise<string | null> {
    let changed = false;
    for (const [p, specs] of [...this.files]) {
      if (p === from || p.startsWith(`${from}/`)) {
        this.files.delete(p);
        this.files.set(to + p.slice(from.length), specs);
        changed = true;
      }
    }
    return changed ? this.save() : Promise.resolve(null);
  }

  private save(): Promise<string | null> {
    const body: StoredFile = {
      version: 1,
      project: this.projectRoot,
      files: Object.fromEntries(this.all().map((f) => [f.path, f.breakpoints])),
    };
    const text = `${JSON.stringify(body, null, 1)}\n`;
    const done = this.writing.then(async () => {
      try {
        const dir = path.dirname(this.file);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const real = realpathSync(dir);
        const r = await writeFileAtomic(real, path.basename(this.file), text, {
          confine: real,
          mode: 0o600,
        });
        return r.ok ? null : `breakpoints could not be saved: ${r.error.message}`;
      } catch (e) {
        return `breakpoints could not be saved to ${this.file}: ${(e as Error).message}`;
      }
    });
    this.writing = done.then(() => undefined);
    return done;
  }
}

/** Whether the `hits`-th hit (1-based) of a breakpoint with `condition` stops; null = valid. */
export function hitConditionProblem(condition: string): string | null {
  return /^\s*(>=|==|>|%)?\s*\d+\s*$/.test(condition)
    ? null
    : `hit count "${condition}" is not understood: write 5, >= 5, == 5, > 5 or % 5`;
}

export function hitStops(condition: string | undefined, hits: number): boolean {
  if (!condition?.trim()) return true;
  const m = /^\s*(>=|==|>|%)?\s*(\d+)\s*$/.exec(condition);
  if (!m) return true;
  const n = Number(m[2]);
  switch (m[1]) {
    case '==':
      return hits === n;
    case '>':
      return hits > n;
    case '%':
      return n > 0 && hits % n === 0;
    default:
      return hits >= n;
  }
}
