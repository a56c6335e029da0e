/**
 * The breakpoints model: every breakpoint of the project as the host resolved it (verified at
 * addresses, moved to the next line with code, pending without a session, unresolved with a
 * reason), and the edits a person makes to them (toggle, condition, hit count, enable).
 *
 * The host keeps them per project across restarts and resolves them against the running
 * session's line tables; this model only mirrors the host (`breakpoints.changed` events) and
 * sends whole-file replacements, so two windows never disagree for long.
 *
 * @example
 *   await breakpoints.toggle('capsules/src/console.rs', 154);
 *   breakpoints.forFile('capsules/src/console.rs'); // [{ line: 154, status: 'verified', ... }]
 */
import type {
  BreakpointSpec,
  FileBreakpoints,
  HostError,
  ResolvedBreakpoint,
} from '../../../main/common/contract';
import type { HostConnection } from '../client';
import { Model } from './model';

export interface BreakpointsState {
  files: Record<string, ResolvedBreakpoint[]>;
  error: HostError | null;
}

/** The spec part of a resolved breakpoint (what the host stores). */
export function specOf(b: ResolvedBreakpoint | BreakpointSpec): BreakpointSpec {
  const s: BreakpointSpec = { line: b.line };
  if (b.condition) s.condition = b.condition;
  if (b.hitCondition) s.hitCondition = b.hitCondition;
  if (b.enabled === false) s.enabled = false;
  return s;
}

/** The line a breakpoint is drawn on: where it really sits once resolved. */
export const shownLine = (b: ResolvedBreakpoint): number => b.resolvedLine ?? b.line;

/** One line of explanation for a breakpoint's gutter hover and the list. */
export function describeBreakpoint(b: ResolvedBreakpoint): string {
  const parts: string[] = [];
  if (b.enabled === false) parts.push('Disabled');
  if (b.status === 'verified')
    parts.push(
      b.resolvedLine
        ? `Line ${b.line} has no code: moved to line ${b.resolvedLine}`
        : `Set at ${b.addresses.map((a) => `0x${a.toString(16)}`).join(', ')}`,
    );
  else if (b.status === 'pending') parts.push(`Not set: ${b.reason ?? 'no session is running'}`);
  else parts.push(`Not set: ${b.reason ?? 'unresolved'}`);
  if (b.condition) parts.push(`when ${b.condition}`);
  if (b.hitCondition) parts.push(`hit count ${b.hitCondition}`);
  if (b.hits) parts.push(`hit ${b.hits} time${b.hits === 1 ? '' : 's'}`);
  if (b.stale) parts.push('the file changed after the build this session runs');
  return parts.join('; ');
}

export class BreakpointsModel extends Model<BreakpointsState> {
  constructor(private readonly host: HostConnection) {
    super({ files: {}, error: null });
    host.onEvent('breakpoints.changed', (f) => this.apply(f));
  }

  async load(): Promise<void> {
    const r = await this.host.api.breakpoints.list({});
    if (!r.ok) return this.set({ error: r.error });
    const files: Record<string, ResolvedBreakpoint[]> = {};
    for (const f of r.value) files[f.path] = f.breakpoints;
    this.set({ files });
  }

  private apply(f: FileBreakpoints): void {
    const files = { ...this.state.files };
    if (f.breakpoints.length) files[f.path] = f.breakpoints;
    else delete files[f.path];
    this.set({ files });
  }

  forFile(path: string): ResolvedBreakpoint[] {
    return this.state.files[path] ?? [];
  }

  /** Every breakpoint, for the list and the command palette. */
  all(): { path: string; breakpoint: ResolvedBreakpoint }[] {
    return Object.entries(this.state.files)
      .flatMap(([path, list]) => list.map((breakpoint) => ({ path, breakpoint })))
      .sort((a, b) => a.path.localeCompare(b.path) || a.breakpoint.line - b.breakpoint.line);
  }

  /** The breakpoint shown on `line` (its own line, or the line it moved to). */
  at(path: string, line: number): ResolvedBreakpoint | undefined {
    return this.forFile(path).find((b) => b.line === line || shownLine(b) === line);
  }

  async replace(path: string, specs: BreakpointSpec[]): Promise<HostError | null> {
    const r = await this.host.api.breakpoints.set({ path, breakpoints: specs });
    if (!r.ok) {
      this.set({ error: r.error });
      return r.error;
    }
    this.apply(r.value);
    this.set({ error: null });
    return null;
  }

  /** Adds a breakpoint on `line`, or removes the one shown there. */
  toggle(path: string, line: number): Promise<HostError | null> {
    const list = this.forFile(path);
    const here = this.at(path, line);
    const next = here
      ? list.filter((b) => b !== here).map(specOf)
      : [...list.map(specOf), { line }];
    return this.replace(path, next);
  }

  /** Changes one breakpoint's condition, hit count or enabled state. */
  update(path: string, line: number, change: Partial<BreakpointSpec>): Promise<HostError | null> {
    const list = this.forFile(path);
    const here = this.at(path, line);
    const specs = list.map((b) => (b === here ? { ...specOf(b), ...change } : specOf(b)));
    if (!here) specs.push({ line, ...change });
    return this.replace(
      path,
      specs.map((s) => {
        const c = { ...s };
        if (!c.condition) delete c.condition;
        if (!c.hitCondition) delete c.hitCondition;
        if (c.enabled !== false) delete c.enabled;
        return c;
      }),
    );
  }

  remove(path: string, line: number): Promise<HostError | null> {
    const here = this.at(path, line);
    return this.replace(
      path,
      this.forFile(path)
        .filter((b) => b !== here)
        .map(specOf),
    );
  }

  /** The editor moved lines (text inserted above): breakpoints follow their text. */
  moved(path: string, lines: Map<number, number>): Promise<HostError | null> {
    const list = this.forFile(path);
    if (!list.some((b) => lines.has(b.line) && lines.get(b.line) !== b.line))
      return Promise.resolve(null);
    return this.replace(
      path,
      list.map((b) => ({ ...specOf(b), line: lines.get(b.line) ?? b.line })),
    );
  }
}
