// The renderer's typed proxy: every contract method becomes a call of "service.method" on the
// transport, with its arguments unchanged, and nothing else is reachable.
import { describe, expect, it } from 'vitest';
import { contract, methodIds, type Result } from '../../main/common/contract';
import { createApi, type Transport } from './client';

function recordingTransport(): { transport: Transport; calls: [string, unknown][] } {
  const calls: [string, unknown][] = [];
  return {
    calls,
    transport: {
      call: async (method, args) => {
        calls.push([method, args]);
        return { ok: true, value: method } as Result<unknown>;
      },
      onEvent: () => () => {},
    },
  };
}

describe('createApi', () => {
  it('exposes exactly the contract methods and routes each to its id', async () => {
    const { transport, calls } = recordingTransport();
    const api = createApi(transport) as unknown as Record<
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
    const api = createApi(transport);
    await (api.project.info as unknown as () => Promise<unknown>)();
    expect(calls).toEqual([['project.info', {}]]);
  });
});
