/**
 * Tests for the GDB remote client against a scripted stub: negotiation (no-ack mode, vCont,
 * target description, memory map), acknowledgements and resends, chunked memory access with X
 * or M, monitor output, range stepping, and failures (error replies, a silent stub, a dropped
 * connection) as values.
 */
import { describe, expect, it } from 'vitest';
import { GdbRemoteClient, PointType, type ClientTimers } from './client';
import { binaryToBytes, bytesToHex, textToHex } from './framing';
import { FakeStub, type StubReply } from './testing/fake-stub';

const TARGET_XML =
  '<?xml version="1.0"?><target><architecture>arm</architecture><feature name="org.gnu.gdb.arm.m-profile"><reg name="r0" bitsize="32"/><reg name="pc" bitsize="32" regnum="15"/><reg name="xpsr" bitsize="32" regnum="25"/></feature></target>';

/** Answers the handshake like a modest stub; `more` answers everything else. */
function stubWith(
  more: (p: string, s: FakeStub) => StubReply,
  features = 'PacketSize=40;qXfer:features:read+;QStartNoAckMode+',
): FakeStub {
  return new FakeStub((p, s) => {
    if (p.startsWith('qSupported')) return features;
    if (p === 'QStartNoAckMode') return 'OK';
    if (p === 'vCont?') return 'vCont;c;C;s;S;r';
    if (p.startsWith('qXfer:features:read:target.xml:')) {
      const [off, len] = p
        .split(':')[4]!
        .split(',')
        .map((x) => parseInt(x, 16));
      const part = TARGET_XML.slice(off, off! + len!);
      return (off! + len! >= TARGET_XML.length ? 'l' : 'm') + part;
    }
    if (p === '?') return 'T05thread:p01.01;';
    return more(p, s);
  });
}

describe('GdbRemoteClient', () => {
  it('negotiates no-ack mode, vCont, the target description and the stop status', async () => {
    const stub = stubWith(() => undefined);
    const c = await GdbRemoteClient.open(stub.transport);
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    expect(c.value.noAck).toBe(true);
    expect(c.value.packetSize).toBe(0x40);
    expect([...c.value.vCont]).toEqual(['c', 'C', 's', 'S', 'r']);
    // The description came in several qXfer chunks (PacketSize 0x40).
    expect(stub.received.filter((p) => p.startsWith('qXfer')).length).toBeGreaterThan(2);
    expect(c.value.description?.registers.map((r) => r.name)).toEqual(['r0', 'pc', 'xpsr']);
    expect(c.value.initialStop).toMatchObject({ kind: 'signal', signal: 5, thread: 'p01.01' });
    // Acknowledged until no-ack mode took effect, then not any more.
    const acksBefore = stub.outOfBand.filter((b) => b === '+').length;
    expect(acksBefore).toBeGreaterThan(0);
    await c.value.command('g');
    expect(stub.outOfBand.filter((b) => b === '+').length).toBe(acksBefore);
  });

  it('asks for a resend on a bad checksum and resends on a nak', async () => {
    const stub = stubWith((p) => (p === 'qC' ? 'QCp01.01' : undefined), 'PacketSize=400');
    const c = await GdbRemoteClient.open(stub.transport);
    if (!c.ok) throw new Error(c.error);
    expect(c.value.noAck).toBe(false);
    stub.corruptNext = true;
    expect(await c.value.command('qC')).toEqual({ ok: true, value: 'QCp01.01' });
    expect(stub.outOfBand).toContain('-');
    stub.nakNext = true;
    expect(await c.value.command('qC')).toEqual({ ok: true, value: 'QCp01.01' });
    expect(stub.received.filter((p) => p === 'qC')).toHaveLength(2);
  });

  it('reads memory in packet-sized chunks and reports the failing address', async () => {
    const mem = Uint8Array.from({ length: 64 }, (_, i) => i);
    const stub = stubWith((p) => {
      const m = /^m([0-9a-f]+),([0-9a-f]+)$/.exec(p);
      if (!m) return undefined;
      const a = parseInt(m[1]!, 16);
      const n = parseInt(m[2]!, 16);
      if (a >= 0x1000) return 'E14';
      // A short reply: at most 8 bytes whatever was asked.
      return bytesToHex(mem.subarray(a, a + Math.min(n, 8)));
    });
    const c = await GdbRemoteClient.open(stub.transport);
    if (!c.ok) throw new Error(c.error);
    const r = await c.value.readMemory(0, 64);
    expect(r).toEqual({ ok: true, value: mem });
    expect(stub.received.filter((p) => p.startsWith('m')).length).toBe(8);
    const bad = await c.value.readMemory(0x1000, 4);
    expect(bad).toEqual({ ok: false, error: 'cannot read 4 byte(s) at 0x1000: error 20' });
  });

  it('writes memory with X when the stub takes it, escaping binary, else with M', async () => {
    const writes: string[] = [];
    const xStub = stubWith((p) => {
      if (p.startsWith('X')) {
        writes.push(p);
        return 'OK';
      }
      return undefined;
    });
    const x = await GdbRemoteClient.open(xStub.transport);
    if (!x.ok) throw new Error(x.error);
    const data = Uint8Array.of(0x23, 0x24, 0x7d, 0x2a, 0);
    expect((await x.value.writeMemory(0x2000, data)).ok).toBe(true);
    expect(writes[0]).toBe('X2000,0:');
    expect(binaryToBytes(writes[1]!.slice('X2000,5:'.length))).toEqual(data);

    const mStub = stubWith((p) => (p.startsWith('M') ? 'OK' : p.startsWith('X') ? '' : undefined));
    const m = await GdbRemoteClient.open(mStub.transport);
    if (!m.ok) throw new Error(m.error);
    expect((await m.value.writeMemory(0x2000, data)).ok).toBe(true);
    expect(mStub.received.at(-1)).toBe('M2000,5:23247d2a00');
  });

  it('collects monitor output from O packets and words refusals', async () => {
    const stub = stubWith((p, s) => {
      if (p === `qRcmd,${textToHex('info')}`) {
        s.output('line one\n');
        s.output('line two\n');
        return 'OK';
      }
      if (p === `qRcmd,${textToHex('hex')}`) return textToHex('answered inline\n');
      if (p === `qRcmd,${textToHex('bad')}`) return 'E01';
      return undefined;
    });
    const c = await GdbRemoteClient.open(stub.transport);
    if (!c.ok) throw new Error(c.error);
    expect(await c.value.monitor('info')).toEqual({ ok: true, value: 'line one\nline two\n' });
    expect(await c.value.monitor('hex')).toEqual({ ok: true, value: 'answered inline\n' });
    expect((await c.value.monitor('bad')).ok).toBe(false);
    const none = await c.value.monitor('other');
    expect(none).toEqual({
      ok: false,
      error: 'the stub has no monitor commands (qRcmd unsupported)',
    });
  });

  it('resumes with vCont, range-steps with vCont;r, and passes output while running', async () => {
    let resumed = '';
    const stub = stubWith((p) => {
      if (p.startsWith('vCont;')) {
        resumed = p;
        return null; // the stop comes later
      }
      if (p.startsWith('Z') || p.startsWith('z')) return 'OK';
      return undefined;
    });
    const c = await GdbRemoteClient.open(stub.transport);
    if (!c.ok) throw new Error(c.error);
    const out: string[] = [];
    c.value.onOutput((t) => out.push(t));
    const run = c.value.resume({ kind: 'range', start: 0x100, end: 0x120 });
    await new Promise((r) => setTimeout(r, 5));
    expect(resumed).toBe('vCont;r100,120');
    stub.output('hello\n');
    stub.send('T05thread:p01.01;');
    expect(await run).toMatchObject({ ok: true, value: { kind: 'signal', signal: 5 } });
    expect(out).toEqual(['hello\n']);
    expect((await c.value.insertPoint(PointType.AccessWatch, 0x20000000, 4)).ok).toBe(true);
    expect(stub.received.at(-1)).toBe('Z4,20000000,4');
    // ^C reaches the stub out of band.
    const cont = c.value.resume({ kind: 'continue' });
    c.value.interrupt();
    expect(await cont).toMatchObject({ ok: true, value: { signal: 2 } });
    expect(stub.outOfBand).toContain('\x03');
  });

  it('fails every waiting call with the cause when the connection drops or the stub goes silent', async () => {
    const stub = stubWith((p) => (p === 'g' ? null : undefined));
    const c = await GdbRemoteClient.open(stub.transport);
    if (!c.ok) throw new Error(c.error);
    const waiting = c.value.command('g');
    const queued = c.value.command('qC');
    stub.drop('connection reset by peer');
    expect(await waiting).toEqual({ ok: false, error: 'connection reset by peer' });
    expect(await queued).toEqual({ ok: false, error: 'connection reset by peer' });
    expect(await c.value.command('g')).toEqual({ ok: false, error: 'connection reset by peer' });

    const pending: (() => void)[] = [];
    const timers: ClientTimers = {
      setTimeout: (fn) => pending.push(fn),
      clearTimeout: () => undefined,
    };
    const silent = stubWith((p) => (p === 'g' ? null : undefined));
    const s = await GdbRemoteClient.open(silent.transport, { timers, requestTimeoutMs: 50 });
    if (!s.ok) throw new Error(s.error);
    const g = s.value.command('g');
    pending.at(-1)!(); // the time limit passes
    const r = await g;
    expect(!r.ok && r.error).toMatch(/did not answer 'g' within 50 ms/);
    expect(s.value.closed).toBe(true);
  });

  it('refuses to open when the stub does not answer the handshake', async () => {
    const stub = new FakeStub(() => undefined);
    stub.drop('refused');
    const c = await GdbRemoteClient.open(stub.transport);
    expect(c).toEqual({ ok: false, error: 'no answer to qSupported: refused' });
  });
});
