/** Tests for the GDB protocol codecs: stop replies, qSupported, target descriptions, memory maps. */
import { describe, expect, it } from 'vitest';
import { err, ok } from '../core/result';
import {
  errorText,
  gPacketLayout,
  isErrorReply,
  parseMemoryMap,
  parseStopReply,
  parseSupported,
  readTargetDescription,
} from './protocol';

describe('stop replies', () => {
  it('reads T replies with thread, watch address, break kind and registers', () => {
    const r = parseStopReply('T05thread:p01.01;watch:20000000;0f:e6020000;core:1;');
    expect(r).toEqual(
      ok({
        kind: 'signal',
        signal: 5,
        thread: 'p01.01',
        core: 1,
        reason: { kind: 'watch', address: 0x20000000 },
        registers: new Map([[15, 'e6020000']]),
      }),
    );
    const a = parseStopReply('T05awatch:1000;');
    expect(a.ok && a.value.kind === 'signal' && a.value.reason).toEqual({
      kind: 'awatch',
      address: 0x1000,
    });
    const s = parseStopReply('T05swbreak:;');
    expect(s.ok && s.value.kind === 'signal' && s.value.reason).toEqual({ kind: 'swbreak' });
    expect(parseStopReply('S02')).toMatchObject({ ok: true, value: { kind: 'signal', signal: 2 } });
  });

  it('reads exit and termination, and refuses anything else', () => {
    expect(parseStopReply('W00')).toEqual(ok({ kind: 'exited', code: 0 }));
    expect(parseStopReply('X09')).toEqual(ok({ kind: 'terminated', signal: 9 }));
    expect(parseStopReply('OK').ok).toBe(false);
    expect(parseStopReply('').ok).toBe(false);
    expect(parseStopReply('Tzz').ok).toBe(false);
  });
});

describe('replies and features', () => {
  it('recognises error replies and words them', () => {
    expect(isErrorReply('E14')).toBe(true);
    expect(isErrorReply('E.no such memory')).toBe(true);
    expect(isErrorReply('E1')).toBe(false);
    expect(errorText('E14')).toBe('error 20');
    expect(errorText('E.no such memory')).toBe('no such memory');
    expect(errorText('')).toMatch(/not supported/);
  });

  it('parses qSupported', () => {
    const f = parseSupported(
      'PacketSize=1000;qXfer:features:read+;QStartNoAckMode-;vContSupported+',
    );
    expect(f.get('PacketSize')).toBe('1000');
    expect(f.get('qXfer:features:read')).toBe(true);
    expect(f.get('QStartNoAckMode')).toBe(false);
  });
});

describe('target descriptions', () => {
  const docs: Record<string, string> = {
    'target.xml':
      '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target><architecture>arm</architecture><xi:include href="core.xml"/><xi:include href="fp.xml"/></target>',
    'core.xml':
      '<feature name="org.gnu.gdb.arm.m-profile"><reg name="r0" bitsize="32"/><reg name="r1" bitsize="32"/><reg name="pc" bitsize="32" type="code_ptr"/><reg name="xpsr" bitsize="32" regnum="25"/></feature>',
    'fp.xml':
      '<feature name="org.gnu.gdb.arm.vfp"><reg name="d0" bitsize="64" type="ieee_double"/><reg name="fpscr" bitsize="32" group="float"/></feature>',
  };
  const fetch = async (annex: string) => (docs[annex] ? ok(docs[annex]!) : err(`no ${annex}`));

  it('follows includes and numbers registers as GDB does', async () => {
    const d = await readTargetDescription(fetch);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.value.architecture).toBe('arm');
    expect(d.value.registers.map((r) => [r.name, r.regnum, r.bitsize])).toEqual([
      ['r0', 0, 32],
      ['r1', 1, 32],
      ['pc', 2, 32],
      ['xpsr', 25, 32],
      ['d0', 26, 64],
      ['fpscr', 27, 32],
    ]);
    // `g` holds described registers in number order, back to back (no gap for 3..24).
    const layout = gPacketLayout(d.value.registers);
    expect(layout.find((s) => s.info.name === 'xpsr')).toMatchObject({ offset: 24, width: 8 });
    expect(layout.find((s) => s.info.name === 'd0')).toMatchObject({ offset: 32, width: 16 });
  });

  it('names a missing or broken document', async () => {
    const missing = await readTargetDescription(async (a) =>
      a === 'target.xml' ? ok(docs['target.xml']!) : err(`stub refused ${a}`),
    );
    expect(missing).toEqual(err('stub refused core.xml'));
    const broken = await readTargetDescription(async () => ok('<target><feature name="x"><reg'));
    expect(broken.ok).toBe(false);
  });
});

describe('memory maps', () => {
  it('reads ram and flash regions with their block size', () => {
    const m = parseMemoryMap(
      '<memory-map><memory type="flash" start="0x0" length="0x100000"><property name="blocksize">0x1000</property></memory><memory type="ram" start="0x20000000" length="0x40000"/></memory-map>',
    );
    expect(m).toEqual(
      ok([
        { name: 'flash@0x0', kind: 'flash', start: 0, size: 0x100000, blockSize: 0x1000 },
        { name: 'ram@0x20000000', kind: 'ram', start: 0x20000000, size: 0x40000 },
      ]),
    );
    expect(parseMemoryMap('<nothing/>').ok).toBe(false);
  });
});
