/**
 * The build model: the state of the current or last build (output, progress, result,
 * diagnostics, flash and RAM summary), fed by the host's `build.*` events.
 *
 * Events of a build can arrive before the reply that names it (the host streams as soon as the
 * process starts), so the first event of a newer build id starts a fresh state and events of
 * older builds are dropped. When the host restarts, a build it was running is gone with it:
 * `hostRestarted` ends it with a message instead of leaving it "running" for ever.
 *
 * @example
 *   const build = new BuildModel(host);
 *   await build.start('nrf52840dk');
 */
import type {
  BuildSummary,
  Diagnostic,
  HostError,
  HostEvents,
} from '../../../main/common/contract';
import type { HostConnection } from '../client';
import { Model } from './model';

export const MAX_BUILD_LINES = 5000;

export interface BuildState {
  running: boolean;
  buildId: number | null;
  board: string | null;
  lines: { stream: string; line: string }[];
  crate: string;
  done: number;
  finished: HostEvents['build.finished'] | null;
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
  summary: BuildSummary | null;
  /** The result is from before Capsule Studio restarted. */
  stale: boolean;
}

/** "1 error", "2 errors". */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const fresh = (buildId: number | null, board: string | null): BuildState => ({
  running: buildId !== null,
  buildId,
  board,
  lines: [],
  crate: '',
  done: 0,
  finished: null,
  diagnostics: [],
  errors: 0,
  warnings: 0,
  summary: null,
  stale: false,
});

export class BuildModel extends Model<BuildState> {
  constructor(private readonly host: HostConnection) {
    super(fresh(null, null));
    host.onEvent('build.output', (e) => {
      const cur = this.adopt(e.buildId);
      if (!cur) return;
      const lines = [...cur.lines, { stream: e.stream, line: e.line }];
      this.set({
        ...cur,
        lines: lines.length > MAX_BUILD_LINES ? lines.slice(-MAX_BUILD_LINES) : lines,
      });
    });
    host.onEvent('build.progress', (e) => {
      const cur = this.adopt(e.buildId);
      if (cur) this.set({ ...cur, crate: e.crate, done: e.done });
    });
    host.onEvent('build.diagnostics', (e) => {
      const cur = this.adopt(e.buildId);
      if (cur) this.set({ ...cur, ...count(e.diagnostics) });
    });
    host.onEvent('build.finished', (e) => {
      const cur = this.adopt(e.buildId);
      if (cur) this.set({ ...cur, running: false, finished: e });
    });
    host.onEvent('build.summary', (e) => {
      if (e.buildId === this.state.buildId) this.set({ summary: e.summary });
    });
  }

  private adopt(buildId: number): BuildState | null {
    const b = this.state;
    if (b.buildId === buildId) return b;
    if (b.buildId !== null && buildId < b.buildId) return null;
    return fresh(buildId, b.board);
  }

  /** Asks the host to build `board`; resolves to the refusal when there is one. */
  async start(board: string): Promise<HostError | null> {
    if (this.state.running) return null;
    const r = await this.host.api.build.start({ board });
    if (!r.ok) return r.error;
    const cur = this.adopt(r.value.buildId) ?? this.state;
    this.set({ ...cur, board });
    return null;
  }

  async cancel(): Promise<HostError | null> {
    if (this.state.buildId === null || !this.state.running) return null;
    const r = await this.host.api.build.cancel({ buildId: this.state.buildId });
    return r.ok ? null : r.error;
  }

  /** The host that ran the build is gone; its build ended with it. */
  hostRestarted(): void {
    if (!this.state.running) {
      if (this.state.finished) this.set({ stale: true });
      return;
    }
    this.set({
      stale: true,
      running: false,
      finished: {
        buildId: this.state.buildId ?? 0,
        status: 'crashed',
        message: 'Capsule Studio restarted while this build ran; it did not finish.',
        errors: this.state.errors,
        warnings: this.state.warnings,
        seconds: 0,
      },
    });
  }
}

function count(diagnostics: Diagnostic[]): Pick<BuildState, 'diagnostics' | 'errors' | 'warnings'> {
  return {
    diagnostics,
    errors: diagnostics.filter((d) => d.severity === 'error').length,
    warnings: diagnostics.filter((d) => d.severity === 'warning').length,
  };
}
