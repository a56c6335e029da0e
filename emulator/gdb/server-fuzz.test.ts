/**
 * GDB server fuzz test: 100,000 random and mutated packets (valid packets of every kind with
 * bytes flipped, cut, repeated or spliced; random bytes; wrong checksums; stray acks and
 * Ctrl-C), fed in random chunk sizes to the server over the emulated nRF52840-DK. After every
 * batch a sentinel packet must be answered: nothing throws, nothing hangs, and at the end the
 * session still reads memory and registers. Deterministic (seeded), so a failure replays.
 */
import { describe, expect, it } from 'vitest';
import { emulatorTargets, NRF_IMAGES } from '../debug/testing/emulator-fixture';
import { unwrap } from '../debug/testing/target-helpers';
import { checksum, encodePacket, textToHex } from './framing';
import { Wire } from './testing/wire';

const PACKETS = 100_000;
const SENTINEL_REPLY = textToHex('kernel: core');
const BATCH = 500;

/** xorshift32: the same sequence on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const SEEDS = [
  'qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=arm;error-message+',
  'QStartNoAckMode',
  '?',
  'g',
  'G' + '0'.repeat(184),
  'p0f',
  'P0=01000000',
  'm0,10',
  'm20000000,40',
  'mffffff00,200',
  'M20000000,4:01020304',
  'M0,4:00000000',
  'X20000010,3:abc',
  'X0,2:zz',
  'c',
  's',
  'C05',
  'S05;10',
  'vCont?',
  'vCont;c',
  'vCont;s:1',
  'vCont;r0,100:1;c',
  'vCont;C02:1;c',
  'bs',
  'bc',
  'Z0,8,2',
  'z0,8,2',
  'Z1,100,2',
  'Z2,20000000,4',
  'z2,20000000,4',
  'Z3,20000000,1',
  'Z4,20000000,8',
  'Hg1',
  'Hc-1',
  'Hg2',
  'T1',
  'qfThreadInfo',
  'qsThreadInfo',
  'qC',
  'qAttached',
  'qOffsets',
  'qSymbol::',
  'qXfer:features:read:target.xml:0,fff',
  'qXfer:features:read:other.xml:0,fff',
  'qXfer:memory-map:read::0,fff',
  'qXfer:threads:read::0,fff',
  'qXfer:memory-map:read::ffff,10',
  'vFlashErase:1000,1000',
  'vFlashWrite:1000:\x01\x02',
  'vFlashDone',
  'vFlashErase:ff000,3000',
  'vMustReplyEmpty',
  `qRcmd,${textToHex('reset halt')}`,
  `qRcmd,${textToHex('halt')}`,
  `qRcmd,${textToHex('reg pc')}`,
  `qRcmd,${textToHex('reg r3 0x10')}`,
  `qRcmd,${textToHex('tock list')}`,
  `qRcmd,${textToHex('trace show 4')}`,
  `qRcmd,${textToHex('snapshot restore x')}`,
  `qRcmd,${textToHex('frob')}`,
  'qRcmd,zz',
  'R00',
  '!',
];

/** Packets that end the connection: one may close a batch. */
const CLOSERS = ['D', 'k', 'vKill;1'];

function mutate(p: string, r: () => number): string {
  const pick = (n: number): number => Math.floor(r() * n);
  let s = p;
  const edits = 1 + pick(4);
  for (let i = 0; i < edits; i++) {
    const at = pick(s.length + 1);
    switch (pick(6)) {
      case 0: // flip a byte
        s = s.slice(0, at) + String.fromCharCode(pick(256)) + s.slice(at + 1);
        break;
      case 1: // cut
        s = s.slice(0, at);
        break;
      case 2: // repeat a piece
        s = s.slice(0, at) + s.slice(at, at + 1 + pick(8)).repeat(1 + pick(50)) + s.slice(at);
        break;
      case 3: // splice another packet in
        s = s.slice(0, at) + SEEDS[pick(SEEDS.length)]! + s.slice(at);
        break;
      case 4: // a random hex number
        s = s.slice(0, at) + pick(2 ** 32).toString(16) + s.slice(at);
        break;
      default: // insert framing bytes
        s = s.slice(0, at) + '$#}*+-\x03'[pick(7)]! + s.slice(at);
    }
  }
  return s;
}

/** One fuzz item as bytes on the wire. */
function item(r: () => number): string {
  const pick = (n: number): number => Math.floor(r() * n);
  const kind = pick(10);
  if (kind === 0) {
    // Random bytes, sometimes framed.
    let s = '';
    const n = pick(64);
    for (let i = 0; i < n; i++) s += String.fromCharCode(pick(256));
    return r() < 0.5 ? s : `$${s}#${pick(256).toString(16).padStart(2, '0')}`;
  }
  if (kind === 1) return '+-\x03'[pick(3)]!;
  const body = r() < 0.3 ? SEEDS[pick(SEEDS.length)]! : mutate(SEEDS[pick(SEEDS.length)]!, r);
  if (kind === 2) return `$${body}#${((checksum(body) + 1) & 0xff).toString(16).padStart(2, '0')}`;
  return encodePacket(body);
}

const targets = emulatorTargets();

describe('GdbServer fuzz', () => {
  it(`survives ${PACKETS.toLocaleString('en')} random and mutated packets and still answers`, async () => {
    const { t } = targets.fromFiles(
      'nrf52840dk',
      [{ name: 'loop.bin', bytes: NRF_IMAGES.counting, address: 0 }],
      { pace: 'fast', sliceMs: 1 },
    );
    const errors: string[] = [];
    const server = targets.serve(t, {
      log: (line) => {
        if (line.includes('internal error') || line.includes('failed:')) errors.push(line);
      },
    });
    const r = rng(0x5eed);
    let wire = new Wire(server);
    let sent = 0;
    let connections = 1;
    while (sent < PACKETS) {
      let bytes = '';
      for (let i = 0; i < BATCH && sent < PACKETS; i++, sent++) bytes += item(r);
      if (r() < 0.2) bytes += encodePacket(CLOSERS[Math.floor(r() * CLOSERS.length)]!);
      // Random chunking: a packet may arrive in pieces.
      for (let at = 0; at < bytes.length;) {
        const n = 1 + Math.floor(r() * 400);
        wire.raw(bytes.slice(at, at + n));
        at += n;
      }
      // Close whatever half-packet is pending, then a sentinel must be answered.
      wire.raw('#00');
      wire.send('qThreadExtraInfo,1'); // answered with text no fuzz item's reply matches
      const deadline = Date.now() + 20_000;
      for (;;) {
        const reply = await wire.next(Math.max(1, deadline - Date.now())).catch((e: Error) => {
          if (wire.closed) return 'closed'; // a k, D or vKill in the batch: fine
          const c = wire.conn as unknown as { current: string; queue: string[] };
          throw new Error(
            `${e.message}: handling ${JSON.stringify(c.current.slice(0, 80))}, ${c.queue.length} queued, target ${t.state()}`,
          );
        });
        if (reply === SENTINEL_REPLY || reply === 'closed') break;
      }
      // Back to a known state for the next batch: acks on, target halted.
      wire.conn.disconnected();
      if (t.state() === 'running') unwrap(await t.halt());
      wire = new Wire(server);
      connections++;
    }
    expect(errors).toEqual([]);
    expect(t.state()).not.toBe('closed');
    expect(await wire.ask('qAttached')).toBe('1');
    expect(await wire.ask('m20000000,4')).toMatch(/^[0-9a-f]{8}$/);
    expect(await wire.ask('p0f')).toMatch(/^[0-9a-f]{8}$/);
    expect(connections).toBeGreaterThan(PACKETS / BATCH);
    // Most items reach a handler (the rest are bad checksums, noise, or cut by a closer).
    expect(server.packetsHandled).toBeGreaterThan(PACKETS * 0.6);
  }, 240_000);
});
