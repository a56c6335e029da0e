// The build model, fed events as the host sends them: a newer build's first event starts a
// fresh state even before the reply, older builds' events are dropped, counts follow the
// diagnostics, and a host restart ends a build that was running.
import { describe, expect, it } from 'vitest';
import type { HostEventName, HostEvents, Result } from '../../../main/common/contract';
import { hostConnection, type Transport } from '../client';
import { BuildModel, plural } from './build';

function fakeHost() {
  let push: (events: { name: HostEventName; payload: unknown }[]) => void = () => {};
  const transport: Transport = {
    call: async (method) =>
      (method === 'build.start'
        ? { ok: true, value: { buildId: 2, board: 'b' } }
        : { ok: true, value: null }) as Result<unknown>,
    onEvents: (l) => {
      push = l as typeof push;
      return () => {};
    },
  };
  const conn = hostConnection(transport);
  return {
    conn,
    emit<K extends HostEventName>(name: K, payload: HostEvents[K]) {
      push([{ name, payload }]);
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('BuildModel', () => {
  it('follows a build from its events and counts errors and warnings', async () => {
    const h = fakeHost();
    const m = new BuildModel(h.conn);
    const started = m.start('b');
    // The host streams as soon as the build starts: this event can come before the reply.
    h.emit('build.output', { buildId: 2, stream: 'host', line: '$ build' });
    expect(await started).toBeNull();
    h.emit('build.output', { buildId: 1, stream: 'stdout', line: 'old build' });
    h.emit('build.diagnostics', {
      buildId: 2,
      diagnostics: [
        {
          path: 'a.rs',
          inProject: true,
          severity: 'warning',
          message: 'w',
          line: 1,
          column: 1,
          endLine: 1,
          endColumn: 2,
          related: [],
        },
      ],
    });
    h.emit('build.finished', {
      buildId: 2,
      status: 'succeeded',
      message: 'ok',
      errors: 0,
      warnings: 1,
      seconds: 1,
    });
    await settle();
    const s = m.snapshot();
    expect(s.lines.map((l) => l.line)).toEqual(['$ build']);
    expect([s.running, s.board, s.errors, s.warnings]).toEqual([false, 'b', 0, 1]);
    expect(plural(1, 'warning')).toBe('1 warning');
    expect(plural(2, 'error')).toBe('2 errors');
  });

  it('ends a running build when the host restarted', async () => {
    const h = fakeHost();
    const m = new BuildModel(h.conn);
    await m.start('b');
    expect(m.snapshot().running).toBe(true);
    m.hostRestarted();
    await settle();
    expect(m.snapshot().running).toBe(false);
    expect(m.snapshot().finished?.message).toMatch(/restarted/);
  });
});
