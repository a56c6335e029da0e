import { describe, expect, it } from 'vitest';
import { err, ok } from '../../core/result';
import {
  describeExpression,
  ENTRY_VALUE_ERROR,
  evaluateLocation,
  evaluateValue,
  type ExprContext,
} from './expr';

const mem = async (address: number, length: number) =>
  address >= 0x2000 && address + length <= 0x2100
    ? ok(Uint8Array.from({ length }, (_, i) => (address + i) & 0xff))
    : err(`unmapped 0x${address.toString(16)}`);

const ctx = (extra: Partial<ExprContext> = {}): ExprContext => ({
  addressSize: 4,
  readMemory: mem,
  register: (n) => (n === 13 ? 0x2040 : n === 7 ? 0x2010 : n < 13 ? n * 0x10 : undefined),
  frameBase: async () => ok(0x2080),
  cfa: 0x2090,
  ...extra,
});
const e = (...b: number[]) => new Uint8Array(b);

describe('location expressions', () => {
  it('registers, breg, fbreg, call_frame_cfa and arithmetic', async () => {
    expect(await evaluateLocation(e(0x54), ctx())).toEqual(
      ok({ pieces: [{ location: { kind: 'register', reg: 4 } }] }),
    );
    expect(await evaluateLocation(e(0x7d, 0x08), ctx())).toEqual(
      ok({ pieces: [{ location: { kind: 'memory', address: 0x2048 } }] }),
    );
    expect(await evaluateLocation(e(0x91, 0x7c), ctx())).toEqual(
      ok({ pieces: [{ location: { kind: 'memory', address: 0x207c } }] }),
    );
    expect(await evaluateValue(e(0x9c, 0x23, 0x04), ctx())).toEqual(ok(0x2094));
    // lit5 lit3 minus lit4 mul stack_value: (5 - 3) * 4 = 8
    expect(await evaluateLocation(e(0x35, 0x33, 0x1c, 0x34, 0x1e, 0x9f), ctx())).toEqual(
      ok({ pieces: [{ location: { kind: 'value', value: 8 } }] }),
    );
  });

  it('dereferences through asynchronous memory', async () => {
    // breg13+0 deref: the word at 0x2040 is 0x43424140.
    expect(await evaluateValue(e(0x7d, 0x00, 0x06), ctx())).toEqual(ok(0x43424140));
    expect(await evaluateValue(e(0x0c, 0, 0, 0, 0x10, 0x06), ctx())).toEqual(
      err('unmapped 0x10000000'),
    );
  });

  it('pieces, implicit values and optimized-out parts', async () => {
    const r = await evaluateLocation(
      e(0x50, 0x93, 0x04, 0x93, 0x04, 0x9e, 0x02, 0xaa, 0xbb, 0x93, 0x02),
      ctx(),
    );
    expect(r).toEqual(
      ok({
        pieces: [
          { location: { kind: 'register', reg: 0 }, sizeBits: 32 },
          { location: { kind: 'optimizedOut' }, sizeBits: 32 },
          { location: { kind: 'implicit', bytes: e(0xaa, 0xbb) }, sizeBits: 16 },
        ],
      }),
    );
    expect(await evaluateLocation(e(), ctx())).toEqual(
      ok({ pieces: [{ location: { kind: 'optimizedOut' } }] }),
    );
  });

  it('says why a value is unavailable', async () => {
    expect(await evaluateLocation(e(0x7e, 0x00), ctx())).toEqual(
      err('lr is not available in this frame'),
    );
    expect(await evaluateLocation(e(0xa3, 0x01, 0x50, 0x9f), ctx())).toEqual(
      err(ENTRY_VALUE_ERROR),
    );
    expect(await evaluateLocation(e(0x91, 0x00), ctx({ frameBase: undefined }))).toMatchObject({
      ok: false,
    });
    // A branch back to itself: bounded, reported, never a hang.
    const loop = await evaluateLocation(e(0x2f, 0xfd, 0xff), ctx());
    expect(loop).toMatchObject({ ok: false, error: expect.stringMatching(/too long/) });
    expect(await evaluateLocation(e(0x12), ctx())).toMatchObject({
      ok: false,
      error: expect.stringMatching(/underflow/),
    });
  });

  it('prints expressions for listings', () => {
    expect(describeExpression(e(0x7d, 0x08, 0x06, 0x93, 0x04))).toBe(
      'DW_OP_breg13 (sp) +8, DW_OP_deref, DW_OP_piece 4',
    );
    expect(describeExpression(e(0x03, 0x00, 0x10, 0x00, 0x20))).toBe('DW_OP_addr 0x20001000');
    expect(describeExpression(e(0x91))).toMatch(/<malformed/);
  });
});
