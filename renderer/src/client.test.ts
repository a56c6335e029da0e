// The renderer's typed proxy: every contract method becomes a call of "service.method" on the
// transport with its arguments unchanged, events are dispatched by name in batches, and a call
// made with an aborted signal resolves to a cancelled error.
import { describe, expect, it } from 'vitest';
import { contract, methodIds, type HostEvent, type Result } from '../../main/common/contract';
import { hostConnection, type Transport } from './client';

function recordingTransport(): {
  transport: Transport;
  calls: [string, unknown][];
  push: (events: HostEvent[]) => void;
} {
  const calls: [string, unknown][] = [];
  let listener: ((events: HostEvent[]) => void) | null = null;
  return {
    calls,
    push: (events) => listener?.(events),
    transport: {
      call: async (method, args, opts) => {
        calls.push([method, args]);
        if (opts?.signal?.aborted)
          return { ok: false, error: { code: 'cancelled', message: 'cancelled' } };
        return { ok: true, value: method } as Result<unknown>;
      },
      onEvents: (l) => {
        listener = l;
        return () => (listener = null);
      },
    },
  };
}

describe('hostConnection', () => {
  it('exposes exactly the contract methods and routes each to its id', async () => {
    const { transport, calls } = recordingTransport();
    const api = hostConnection(transport).api as unknown as Record<
      string,
      Record<string, (a: unknown) => Promise<Result<unknown>>>
    >;
    const exposed = Object.entries(api).flatMap(([s, m]) => Object.keys(m).map((n) => `${s}.${n}`));
    expect(exposed.sort()).toEqual(methodIds().sort());
    expect(Object.keys(api).sort()).toEqual(Object.keys(contract).sort());
    const r = await api.project!.readFile!({ path: 'a.rs' });
    expect(r).toEqual({ ok: true, value: 'project.readFile' });
    expect(calls).toEqual([['project.readFile', { path: 'a.rs' }]]);
  });

  it('sends an empty object for calls made without arguments', async () => {
    const { transport, calls } = recordingTransport();
    const { api } = hostConnection(transport);
    await (api.project.info as unknown as () => Promise<unknown>)();
    expect(calls).toEqual([['project.info', {}]]);
  });

  it('hands each event of a batch to its listeners, then tells batch listeners once', () => {
    const { transport, push } = recordingTransport();
    const conn = hostConnection(transport);
    const lines: string[] = [];
    let batches = 0;
    conn.onEvent('build.output', (e) => lines.push(e.line));
    conn.onBatch(() => batches++);
    push([
      { name: 'build.output', payload: { buildId: 1, stream: 'stdout', line: 'a' } },
      { name: 'project.treeChanged', payload: { folders: [''] } },
      { name: 'build.output', payload: { buildId: 1, stream: 'stdout', line: 'b' } },
    ]);
    expect(lines).toEqual(['a', 'b']);
    expect(batches).toBe(1);
  });

  it('passes the abort signal to the transport', async () => {
    const { transport } = recordingTransport();
    const { api } = hostConnection(transport);
    const c = new AbortController();
    c.abort();
    const r = await api.project.listFiles({}, { signal: c.signal });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('cancelled');
  });
});
