// The breakpoints model mirrors the host: a toggle sends the file's whole list, a breakpoint
// that moved to the next line with code is toggled off where it is drawn, a condition or hit
// count changes only that breakpoint, and edits above a breakpoint move it with its text.
import { describe, expect, it } from 'vitest';
import type {
  BreakpointSpec,
  FileBreakpoints,
  HostEventName,
  ResolvedBreakpoint,
  Result,
} from '../../../main/common/contract';
import { hostConnection, type Transport } from '../client';
import { BreakpointsModel, describeBreakpoint } from './breakpoints';

function fakeHost() {
  let push: (events: { name: HostEventName; payload: unknown }[]) => void = () => {};
  const sent: { path: string; breakpoints: BreakpointSpec[] }[] = [];
  const transport: Transport = {
    call: async (method, args) => {
      if (method === 'breakpoints.set') {
        const a = args as { path: string; breakpoints: BreakpointSpec[] };
        sent.push(a);
        const resolved: FileBreakpoints = {
          path: a.path,
          // The host moves line 150 (a comment) to 154, the next line with code.
          breakpoints: a.breakpoints.map((b) => ({
            ...b,
            status: 'verified',
            addresses: [0x1000 + b.line],
            hits: 0,
            ...(b.line === 150 ? { resolvedLine: 154 } : {}),
          })),
        };
        return { ok: true, value: resolved } as Result<unknown>;
      }
      if (method === 'breakpoints.list') return { ok: true, value: [] } as Result<unknown>;
      return { ok: true, value: null } as Result<unknown>;
    },
    onEvents: (l) => {
      push = l as typeof push;
      return () => {};
    },
  };
  return {
    conn: hostConnection(transport),
    sent,
    emit(payload: FileBreakpoints) {
      push([{ name: 'breakpoints.changed', payload }]);
    },
  };
}

const F = 'capsules/src/console.rs';

describe('BreakpointsModel', () => {
  it('toggles breakpoints, drawn where they really sit', async () => {
    const h = fakeHost();
    const m = new BreakpointsModel(h.conn);
    await m.toggle(F, 155);
    await m.toggle(F, 150);
    expect(h.sent.at(-1)!.breakpoints).toEqual([{ line: 155 }, { line: 150 }]);
    expect(m.at(F, 154)?.line).toBe(150);
    // Clicking where the moved breakpoint is drawn removes it.
    await m.toggle(F, 154);
    expect(h.sent.at(-1)!.breakpoints).toEqual([{ line: 155 }]);
    expect(m.forFile(F).map((b) => b.line)).toEqual([155]);
  });

  it('changes one breakpoint’s condition and hit count, and follows edits above it', async () => {
    const h = fakeHost();
    const m = new BreakpointsModel(h.conn);
    await m.toggle(F, 155);
    await m.toggle(F, 170);
    await m.update(F, 155, { condition: 'command == 1', hitCondition: '>= 2' });
    expect(h.sent.at(-1)!.breakpoints).toEqual([
      { line: 155, condition: 'command == 1', hitCondition: '>= 2' },
      { line: 170 },
    ]);
    await m.update(F, 155, { condition: '', enabled: false });
    expect(h.sent.at(-1)!.breakpoints[0]).toEqual({
      line: 155,
      hitCondition: '>= 2',
      enabled: false,
    });
    // Two lines inserted above both.
    await m.moved(
      F,
      new Map([
        [155, 157],
        [170, 172],
      ]),
    );
    expect(h.sent.at(-1)!.breakpoints.map((b) => b.line)).toEqual([157, 172]);
    const n = h.sent.length;
    await m.moved(F, new Map([[157, 157]]));
    expect(h.sent.length).toBe(n);
  });

  it('mirrors the host’s changes (a session resolved them, hits counted)', () => {
    const h = fakeHost();
    const m = new BreakpointsModel(h.conn);
    h.emit({
      path: F,
      breakpoints: [{ line: 155, status: 'verified', addresses: [0x1dd4], hits: 2 }],
    });
    return new Promise<void>((done) =>
      setTimeout(() => {
        expect(m.all()).toEqual([{ path: F, breakpoint: expect.objectContaining({ hits: 2 }) }]);
        h.emit({ path: F, breakpoints: [] });
        setTimeout(() => {
          expect(m.all()).toEqual([]);
          done();
        }, 0);
      }, 0),
    );
  });

  it('explains every state in words', () => {
    const b = (p: Partial<ResolvedBreakpoint>): ResolvedBreakpoint => ({
      line: 150,
      status: 'verified',
      addresses: [0x1dd4],
      hits: 0,
      ...p,
    });
    expect(describeBreakpoint(b({}))).toBe('Set at 0x1dd4');
    expect(describeBreakpoint(b({ resolvedLine: 154 }))).toBe(
      'Line 150 has no code: moved to line 154',
    );
    expect(
      describeBreakpoint(b({ status: 'pending', addresses: [], reason: 'no session is running' })),
    ).toBe('Not set: no session is running');
    expect(
      describeBreakpoint(
        b({
          status: 'unresolved',
          addresses: [],
          reason: 'no code at or after line 150',
          enabled: false,
        }),
      ),
    ).toBe('Disabled; Not set: no code at or after line 150');
    expect(
      describeBreakpoint(b({ condition: 'len > 4', hitCondition: '3', hits: 1, stale: true })),
    ).toBe(
      'Set at 0x1dd4; when len > 4; hit count 3; hit 1 time; the file changed after the build this session runs',
    );
  });
});
