// The access log's ring: entries in order with their fields, a reader told how many it missed
// when the ring wrapped or the log was cleared, and sequence numbers that never go back.
import { describe, expect, it } from 'vitest';
import {
  AccessLog,
  columnsOf,
  PERIPHERAL_QUOTA,
  RARE_CAPACITY,
  recordsOf,
  withColumns,
} from './access-log';

describe('AccessLog', () => {
  it('keeps every field of an entry', () => {
    const log = new AccessLog(8);
    log.record(100, true, 4, 0x4000251c, 0x41, 0x1234, false);
    log.record(101, false, 1, 0x40002518, 0x7f, 0x1236, true);
    expect(log.since(0)).toEqual({
      entries: [
        {
          seq: 0,
          cycle: 100,
          write: true,
          size: 4,
          address: 0x4000251c,
          value: 0x41,
          pc: 0x1234,
          debugger: false,
        },
        {
          seq: 1,
          cycle: 101,
          write: false,
          size: 1,
          address: 0x40002518,
          value: 0x7f,
          pc: 0x1236,
          debugger: true,
        },
      ],
      next: 2,
      missed: 0,
    });
  });

  it('tells a slow reader how many entries the ring dropped', () => {
    const log = new AccessLog(4);
    for (let i = 0; i < 10; i++) log.record(i, true, 4, 0x40000000 + 4 * i, i, 0, false);
    const c = log.since(0);
    expect(c.missed).toBe(6);
    expect(c.entries.map((e) => e.value)).toEqual([6, 7, 8, 9]);
    expect(c.next).toBe(10);
    expect(log.since(10).entries).toEqual([]);
    // Paged: at most `max` at a time.
    const page = log.since(7, 2);
    expect(page.entries.map((e) => e.seq)).toEqual([7, 8]);
    expect(page.next).toBe(9);
  });

  it('clearing keeps sequence numbers counting', () => {
    const log = new AccessLog(16);
    for (let i = 0; i < 3; i++) log.record(i, false, 4, 0, i, 0, false);
    log.clear();
    log.record(9, false, 4, 0, 9, 0, false);
    const c = log.since(1);
    expect(c.entries.map((e) => [e.seq, e.value])).toEqual([[3, 9]]);
    expect(c.missed).toBe(2);
    expect(log.recorded).toBe(4);
  });

  it('filters by address ranges or the debugger before the window, and stops at `until`', () => {
    const log = new AccessLog(64);
    for (let k = 0; k < 40; k++)
      log.record(k, false, 4, k === 17 ? 0x40002518 : 0x40000100, 0, 0x100, k === 30);
    const uart = log.since(0, 10, Infinity, { ranges: [0x40002000, 0x40003000], debugger: false });
    expect(uart.entries.map((e) => e.seq)).toEqual([17]);
    expect(uart.next).toBe(40);
    const dbg = log.since(0, 10, 25, { ranges: [], debugger: true });
    expect(dbg.entries).toEqual([]);
    expect(dbg.next).toBe(25);
    expect(log.since(25, 10, 40, { ranges: [], debugger: true }).entries.map((e) => e.seq)).toEqual(
      [30],
    );
    // At most `max` matches; `next` is right after the last one returned.
    const two = log.since(0, 2, Infinity, { ranges: [0x40000000, 0x40001000], debugger: false });
    expect(two.entries.map((e) => e.seq)).toEqual([0, 1]);
    expect(two.next).toBe(2);
  });

  it('finds debugger and EasyDMA entries the polling pushed out of the ring when filtered later', () => {
    const log = new AccessLog(16);
    log.record(1, false, 4, 0x40002518, 7, 0, true); // the debugger's read of UART0.RXD: seq 0
    for (let k = 0; k < 50; k++) log.record(2 + k, false, 4, 0x40000100, 0, 0x100, false);
    log.recordDma(60, 0x40002000, false, 0x20000100, 3); // UARTE0 reads RAM: seq 51
    for (let k = 0; k < 50; k++) log.record(70 + k, false, 4, 0x40000100, 0, 0x100, false);
    // The ring holds seq 86-101 only; unfiltered, the early stretch is gone.
    expect(log.since(0).entries[0]!.seq).toBe(86);
    const uart = log.since(0, 10, Infinity, { ranges: [0x40002000, 0x40003000], debugger: false });
    expect(uart.entries.map((e) => [e.seq, e.debugger, e.dma ?? false])).toEqual([
      [0, true, false],
      [51, false, true],
    ]);
    expect(uart.entries[1]).toMatchObject({ address: 0x20000100, value: 3, pc: 0x40002000 });
    // What the ring dropped was not searched for other matches: the reply says how much.
    expect(uart.missed).toBe(86);
    expect(uart.next).toBe(102);
    // Paged: one at a time, `next` right after each.
    const first = log.since(0, 1, Infinity, { ranges: [], debugger: true });
    expect(first.entries.map((e) => e.seq)).toEqual([0]);
    const rest = log.since(1, 1, Infinity, { ranges: [0x40002000, 0x40003000], debugger: false });
    expect(rest.entries.map((e) => e.seq)).toEqual([51]);
    // Cleared entries stay cleared.
    log.clear();
    expect(
      log.since(0, 10, Infinity, { ranges: [0x40002000, 0x40003000], debugger: true }).entries,
    ).toEqual([]);
  });

  it('keeps the call chain of each entry made with one', () => {
    const log = new AccessLog(4);
    const i = log.record(1, true, 4, 0x40002000, 1, 0x100, false);
    log.chain(i, log.chains.intern([0x200, 0x300], 0, 2));
    log.record(2, false, 4, 0x40002000, 1, 0, true);
    const [a, b] = log.since(0).entries;
    expect(a!.callers).toEqual([0x200, 0x300]);
    expect(b!.callers).toBeUndefined();
  });

  it('gives a page as columns holding the same entries, DMA sizes and call chains included', () => {
    const log = new AccessLog(4);
    log.record(1, false, 4, 0x40002518, 5, 0x100, true); // the debugger's: kept apart
    log.recordDma(2, 0x40002000, false, 0x20000100, 3);
    for (let i = 0; i < 6; i++) {
      const slot = log.record(10 + i, i % 2 === 0, 2, 0x40003000 + 4 * i, i, 0x200 + i, false);
      const chain = i % 3 === 0 ? [0x300 + i] : [0x300 + i, 0x400];
      log.chain(slot, log.chains.intern(chain, 0, chain.length));
    }
    const filter = { ranges: [0x40002000, 0x40003010], debugger: false };
    for (const [seq, max, f] of [
      [0, 100, undefined],
      [0, 100, filter],
      [0, 1, filter],
      [3, 2, undefined],
    ] as const) {
      const c = log.columns(seq, max, Infinity, f);
      const page = log.since(seq, max, Infinity, f);
      expect(recordsOf(c.columns)).toEqual(page.entries);
      expect([c.next, c.missed]).toEqual([page.next, page.missed]);
    }
    const dma = log.since(0, 10, Infinity, filter).entries.find((e) => e.dma);
    expect(dma).toMatchObject({ size: 1, value: 3, pc: 0x40002000 });
    expect(log.since(5).entries[0]!.callers).toEqual([0x303]);
    expect(log.since(6).entries[0]!.callers).toEqual([0x304, 0x400]);
    // The emulator target's reply: entries made only when read, the columns kept for the port.
    const c = log.columns(0);
    const reply = withColumns({ on: true, next: c.next }, c.columns);
    expect(columnsOf(reply)).toBe(c.columns);
    expect(columnsOf({ entries: [] })).toBeNull();
    expect(reply.entries).toEqual(log.since(0).entries);
  });
});

describe('per-peripheral retention', () => {
  const P0 = { ranges: [0x50000000, 0x50001000], debugger: false };
  const UARTE0 = { ranges: [0x40002000, 0x40003000], debugger: false };

  it('keeps a quiet peripheral`s writes through a flood from another, for a filter to find', () => {
    const log = new AccessLog(); // the emulator's ring: ACCESS_LOG_CAPACITY entries
    let cycle = 0;
    log.record(cycle++, true, 4, 0x50000508, 1 << 13, 0x100, false); // P0.OUTSET
    for (let k = 0; k < 200_000; k++) log.record(cycle++, true, 4, 0x40002544, k, 0x200, false);
    log.record(cycle, true, 4, 0x5000050c, 1 << 13, 0x104, false); // P0.OUTCLR
    const gpio = log.since(0, 10_000, Infinity, P0);
    expect(gpio.entries.map((e) => [e.seq, e.address, e.pc])).toEqual([
      [0, 0x50000508, 0x100],
      [200_001, 0x5000050c, 0x104],
    ]);
    expect(gpio.next).toBe(200_002);
    // The flood itself lost its oldest (the ring's room), but kept the newest.
    const uart = log.since(0, 1, Infinity, UARTE0);
    expect(uart.entries[0]!.seq).toBe(200_002 - log.capacity);
  });

  it('keeps each peripheral`s last PERIPHERAL_QUOTA entries, merged in order with the rest', () => {
    const log = new AccessLog(1024);
    // 700 P0 writes among others, then a flood: P0 keeps its last PERIPHERAL_QUOTA.
    for (let k = 0; k < 700; k++) {
      log.record(k, true, 4, 0x50000508, k, 0, false);
      if (k === 650) log.record(k, false, 4, 0x40002518, 0, 0, true); // a debugger read
    }
    for (let k = 0; k < 5000; k++) log.record(k, true, 4, 0x40002544, k, 0, false);
    const kept = log.since(0, 10_000, Infinity, { ranges: P0.ranges, debugger: true });
    const seqs = kept.entries.map((e) => e.seq);
    expect(seqs.length).toBe(PERIPHERAL_QUOTA + 1);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(kept.entries.filter((e) => e.debugger).map((e) => e.seq)).toEqual([651]);
    expect(kept.entries.at(-1)!.value).toBe(699);
    // Paged: `next` right after the last one returned.
    const page = log.since(0, 10, Infinity, P0);
    expect(page.entries.length).toBe(10);
    expect(page.next).toBe(page.entries[9]!.seq + 1);
  });
});

describe('per-peripheral retention, counted by stretches', () => {
  /** A small deterministic generator (the test must not depend on Math.random). */
  function lcg(seed: number): () => number {
    let x = seed >>> 0;
    return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  }

  it('keeps every page`s last PERIPHERAL_QUOTA entries across turns, each exact and once', () => {
    // Pages of very different rates, in bursts, over ring sizes smaller and larger than the
    // quota; a turn happens every capacity / TURNS entries.
    const pages = [0x40002000, 0x40003000, 0x40008000, 0x50000000, 0x40011000];
    for (const capacity of [64, 4096]) {
      const log = new AccessLog(capacity);
      const next = lcg(capacity);
      const truth: { address: number; value: number; debugger: boolean }[] = [];
      for (let k = 0; k < 12_000; k++) {
        const r = next();
        // Mostly the first page (the flood), the others rarer and rarer.
        const p = r < 0.9 ? 0 : r < 0.97 ? 1 : r < 0.99 ? 2 : r < 0.998 ? 3 : 4;
        const address = pages[p]! + 4 * (k % 16);
        const byDebugger = next() < 0.001;
        log.record(k, (k & 1) === 0, 4, address, k, 0x100 + p, byDebugger);
        truth.push({ address, value: k, debugger: byDebugger });
      }
      for (const base of pages) {
        const got = log.since(0, 100_000, Infinity, {
          ranges: [base, base + 0x1000],
          debugger: false,
        });
        const seqs = got.entries.map((e) => e.seq);
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(seqs.join()).toBe([...seqs].sort((a, b) => a - b).join());
        // Each entry is the one recorded with its sequence number (compared as text: fast).
        expect(got.entries.map((e) => `${e.address},${e.value},${e.debugger}`).join(';')).toBe(
          seqs.map((s) => `${truth[s]!.address},${s},${truth[s]!.debugger}`).join(';'),
        );
        const mine = truth
          .map((t, seq) => ({ ...t, seq }))
          .filter((t) => !t.debugger && t.address >= base && t.address < base + 0x1000)
          .map((t) => t.seq);
        const want = mine.slice(-PERIPHERAL_QUOTA);
        expect(
          seqs
            .filter((s) => !truth[s]!.debugger)
            .slice(-want.length)
            .join(),
        ).toBe(want.join());
      }
    }
  });

  it('keeps the call chain of an entry moved to its peripheral`s own ring', () => {
    const log = new AccessLog(256);
    const i = log.record(0, true, 4, 0x50000508, 1, 0x100, false);
    log.chain(i, log.chains.intern([0x2001, 0x3001], 0, 2));
    const uart = log.chains.intern([0x4001], 0, 1);
    for (let k = 0; k < 1000; k++)
      log.chain(log.record(k + 1, true, 4, 0x40002544, k, 0x200, false), uart);
    const gpio = log.since(0, 10, Infinity, { ranges: [0x50000000, 0x50001000], debugger: false });
    expect(gpio.entries.map((e) => [e.seq, e.callers])).toEqual([[0, [0x2001, 0x3001]]]);
    // The same through columns, with ring entries after it.
    const c = log.columns(0, 3, Infinity, {
      ranges: [0x50000000, 0x50001000, 0x40002000, 0x40003000],
      debugger: false,
    });
    expect(recordsOf(c.columns).map((e) => e.callers)).toEqual([
      [0x2001, 0x3001],
      [0x4001],
      [0x4001],
    ]);
  });

  it('shows no stale chain for an entry recorded after the walker stopped', () => {
    const log = new AccessLog(4);
    const uart = log.chains.intern([0x4001], 0, 1);
    for (let k = 0; k < 4; k++)
      log.chain(log.record(k, true, 4, 0x40002544, k, 0x200, false), uart);
    // The walker stops (the session records without it); the ring wraps over the chained slots.
    for (let k = 4; k < 8; k++) log.record(k, true, 4, 0x40002544, k, 0x200, false);
    expect(log.since(0).entries.map((e) => [e.seq, e.callers])).toEqual([
      [4, undefined],
      [5, undefined],
      [6, undefined],
      [7, undefined],
    ]);
  });
});

describe('per-peripheral retention, the debugger`s entries', () => {
  const P0 = { ranges: [0x50000000, 0x50001000], debugger: false };

  // The debugger's reads of a peripheral are kept in the rare ring: they do not count as the
  // peripheral's own entries, so they never push its writes out. Both ways a turn counts them
  // (taken back out from the rare ring, or by flags when a stretch holds more than it).
  for (const reads of [600, RARE_CAPACITY + 100]) {
    it(`keeps a peripheral's last writes after ${reads} debugger reads of it`, () => {
      const log = new AccessLog();
      let cycle = 0;
      for (let k = 0; k < 600; k++) log.record(cycle++, true, 4, 0x50000508, k, 0x100, false);
      for (let k = 0; k < reads; k++) log.record(cycle++, false, 4, 0x50000510, 0, 0, true);
      for (let k = 0; k < 300_000; k++) log.record(cycle++, true, 4, 0x40002544, k, 0x200, false);
      const found = log.since(0, 100_000, Infinity, P0).entries;
      // The reads, from the rare ring (its last RARE_CAPACITY), then the writes.
      expect(found.filter((e) => e.debugger).length).toBe(Math.min(reads, RARE_CAPACITY));
      const writes = found.filter((e) => !e.debugger);
      expect(writes.length).toBe(PERIPHERAL_QUOTA);
      expect(writes.map((e) => e.value)).toEqual(
        Array.from({ length: PERIPHERAL_QUOTA }, (_, k) => 600 - PERIPHERAL_QUOTA + k),
      );
    });
  }
});

describe('a reader skipping ahead', () => {
  it('gets the quiet peripherals` entries of the stretch it skips, kept apart or in the ring', () => {
    const log = new AccessLog(); // the emulator's ring: ACCESS_LOG_CAPACITY entries
    let cycle = 0;
    const quiet: number[] = [];
    for (let k = 0; k < 400_000; k++) {
      if (k % 5000 === 0) {
        quiet.push(log.recorded);
        log.record(cycle++, true, 4, 0x50000508, k, 0x100, false); // P0.OUTSET, now and then
      }
      if (k === 100_000) log.recordDma(cycle++, 0x40002000, false, 0x20000100, 3);
      log.record(cycle++, k % 2 === 0, 4, 0x40002544, k, 0x200, false); // UARTE0, flat out
    }
    // The panel was at seq 0 and skips to 20,000 before the newest: it asks for what is kept.
    const skipTo = log.recorded - 20_000;
    const kept = log.since(0, 20_000, skipTo, { ranges: [], debugger: true, kept: true });
    const seqs = kept.entries.map((e) => e.seq);
    // Every P0 write before the skip target (the first ones long out of the ring, kept apart;
    // the last ones still in it), and the EasyDMA transfer; none of the flood.
    expect(seqs.filter((s) => !kept.entries[seqs.indexOf(s)]!.dma)).toEqual(
      quiet.filter((s) => s < skipTo),
    );
    expect(kept.entries.filter((e) => e.dma).length).toBe(1);
    expect(kept.entries.some((e) => e.address === 0x40002544)).toBe(false);
    expect(kept.next).toBe(skipTo);
    // Without `kept`, the debugger-only read finds nothing of them (what the panel once did).
    expect(log.since(0, 20_000, skipTo, { ranges: [], debugger: true }).entries).toEqual([]);
  });
});

describe('a reader skipping ahead, the stretch`s pages counted from the turns', () => {
  it('finds exactly the entries a count of the stretch read entry by entry would keep', () => {
    // Stretches of 2,048 entries: a read spans whole ones (counted at their turn) and parts.
    const n = 2048;
    const log = new AccessLog(8 * n);
    let cycle = 0;
    const uart = (k: number) => log.record(cycle++, k % 2 === 0, 4, 0x40002544, k, 0x200, false);
    for (let k = 0; k < 30_000; k++) {
      if (k % 1000 === 0) log.record(cycle++, false, 4, 0x40002544, k, 0x300, true); // debugger
      if (k % 3001 === 0) log.recordDma(cycle++, 0x40002000, false, 0x20000100, 3);
      if (k % 97 === 0) log.record(cycle++, true, 4, 0x50000508, k, 0x100, false); // quiet P0
      // TIMER0 in every third stretch, ~400 there: quiet in a read of one, not of two.
      const seq = log.recorded;
      if (Math.floor(seq / n) % 3 === 0 && seq % 5 === 0)
        log.record(cycle++, false, 4, 0x40008140, k, 0x180, false);
      uart(k);
    }
    // The last stretch ends with a run of 400 TIMER0 reads, the head on its end (its turn due).
    while (log.recorded % n !== n - 400) uart(0);
    for (let k = 0; k < 400; k++) log.record(cycle++, false, 4, 0x40008140, k, 0x180, false);
    const head = log.recorded;
    expect(head % n).toBe(0);
    const oldest = head - 8 * n;
    const kept = { ranges: [], debugger: true, kept: true };
    const reads: Array<[number, number]> = [
      [oldest, head],
      [oldest, head - 1000],
      [oldest + 5, head - n * 3],
      [head - n - 300, head],
      [head - 2 * n, head],
      [head - 3 * n - 5, head - n + 7],
      [oldest + 777, oldest + 6_000],
      [head - 3000, head - 100],
    ];
    const pageOf = (a: number) => a >>> 12;
    let quietTimer = 0;
    for (const [since, until] of reads) {
      // Entry by entry: a page with fewer than PERIPHERAL_QUOTA of its own in [since, until).
      const all = log.since(since, 1 << 20, until).entries;
      const per = new Map<number, number>();
      for (const e of all)
        if (!e.debugger && !e.dma)
          per.set(pageOf(e.address), (per.get(pageOf(e.address)) ?? 0) + 1);
      const quiet = (a: number) => per.get(pageOf(a))! < PERIPHERAL_QUOTA;
      if (quiet(0x40008140)) quietTimer++;
      const want = all.filter((e) => e.debugger || e.dma || quiet(e.address)).map((e) => e.seq);
      const got = log.since(since, 1 << 20, until, kept).entries.map((e) => e.seq);
      expect(got, `[${since - oldest}, ${until - oldest})`).toEqual(want);
    }
    // TIMER0 is quiet in some reads and not in others: the reads tell right counts from wrong.
    expect(quietTimer).toBeGreaterThan(0);
    expect(quietTimer).toBeLessThan(reads.length);
  });

  it('takes a flood`s debugger and EasyDMA entries from the rare ring, or the ring when it lost some', () => {
    for (const debuggerReads of [40, RARE_CAPACITY + 500]) {
      const log = new AccessLog(1 << 15);
      let cycle = 0;
      const every = Math.floor(30_000 / debuggerReads);
      for (let k = 0; k < 30_000; k++) {
        if (k % every === 0) log.record(cycle++, false, 4, 0x40002544, k, 0x300, true);
        if (k % 3001 === 0) log.recordDma(cycle++, 0x40002000, false, 0x20000100, 3);
        log.record(cycle++, k % 2 === 0, 4, 0x40002544, k, 0x200, false); // UARTE0 only
      }
      const head = log.recorded;
      const oldest = head - (1 << 15);
      const kept = { ranges: [], debugger: true, kept: true };
      for (const [since, until, max] of [
        [oldest, head - 1000, 1 << 20],
        [oldest + 3, head - 17, 1 << 20],
        [oldest, head, 7],
      ] as const) {
        const want = log
          .since(since, 1 << 20, until)
          .entries.filter((e) => e.debugger || e.dma)
          .slice(0, max);
        const got = log.since(since, max, until, kept);
        expect(got.entries).toEqual(want);
        expect(got.next).toBe(want.length === max ? want[max - 1]!.seq + 1 : until);
      }
    }
  });
});

describe('a newest read (a view following a flood its filter matches)', () => {
  const UARTE0 = { ranges: [0x40002000, 0x40003000], debugger: false };
  /** 3,000 entries: UARTE0 polled, TIMER0 every third, a debugger read of UARTE0 at seq 10. */
  function flood(): AccessLog {
    const log = new AccessLog(1024);
    for (let k = 0; k < 3000; k++) {
      if (k === 10) log.record(k, false, 4, 0x40002518, 7, 0, true);
      else if (k % 3 === 0) log.record(k, false, 4, 0x40008140, k, 0x200, false);
      else log.record(k, false, 4, 0x4000211c, k, 0x100, false);
    }
    return log;
  }

  it('gives the kept-apart matches, then the newest of the ring`s, and counts those left out', () => {
    const log = flood();
    const oldest = log.recorded - 1024;
    for (const [since, max, until] of [
      [0, 50, Infinity],
      [0, 50, 2500],
      [oldest + 100, 30, Infinity],
      [oldest + 100, 5000, Infinity],
      [2990, 50, Infinity],
    ] as const) {
      // Every match, in order, by a forward read.
      const all = recordsOf(log.columns(since, 1 << 20, until, UARTE0).columns).map((e) => e.seq);
      const apart = all.filter((q) => q < oldest);
      const ring = all.filter((q) => q >= oldest);
      const take = Math.min(ring.length, max - apart.length);
      const r = log.columns(since, max, until, UARTE0, true);
      expect(recordsOf(r.columns).map((e) => e.seq)).toEqual([
        ...apart,
        ...ring.slice(ring.length - take),
      ]);
      expect(r.passed).toBe(ring.length - take);
      expect(r.next).toBe(Math.min(log.recorded, until));
      expect(r.missed).toBe(Math.max(0, oldest - since));
    }
    expect(log.columns(0, 50, Infinity, UARTE0, true).passed).toBeGreaterThan(500);
    // The debugger's read, kept apart, is among the matches of a read from the start.
    expect(recordsOf(log.columns(0, 50, Infinity, UARTE0, true).columns)[0]).toMatchObject({
      seq: 10,
      debugger: true,
    });
  });

  it('unfiltered, gives the newest entries before `until`', () => {
    const log = flood();
    const r = log.columns(2500, 100, 2900, undefined, true);
    const seqs = recordsOf(r.columns).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => 2800 + i));
    expect(r).toMatchObject({ next: 2900, passed: 300, missed: 0 });
  });
});

describe('a filter for EasyDMA transfers only', () => {
  it('passes the peripheral`s transfers, not the CPU`s accesses to its registers', () => {
    const log = new AccessLog(1024);
    for (let k = 0; k < 100; k++) {
      if (k % 10 === 0) log.recordDma(k, 0x40002000, false, 0x20000100, 4);
      else log.record(k, false, 4, 0x4000211c, k, 0x100, false);
    }
    const onlyDma = { ranges: [], dma: [0x40002000, 0x40003000], debugger: false };
    const seqs = (newest: boolean) =>
      recordsOf(log.columns(0, 5, Infinity, onlyDma, newest).columns).map((e) => e.seq);
    expect(seqs(false)).toEqual([0, 10, 20, 30, 40]);
    expect(seqs(true)).toEqual([50, 60, 70, 80, 90]);
    expect(log.columns(0, 5, Infinity, onlyDma, true).passed).toBe(5);
  });
});

describe('the bus listener (`recorder`)', () => {
  /** A small deterministic generator (the test must not depend on Math.random). */
  function lcg(seed: number): () => number {
    let x = seed >>> 0;
    return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  }

  it('records exactly the entries `record` does, turns, kept-apart entries and all', () => {
    // Accesses as the bus makes them: a flood from one page, rarer pages, every size, reads
    // and writes, values and addresses with the top bit set (the SCS at 0xe000e100), PCs as the
    // core holds them (an int32: negative above 0x7fffffff), now and then the debugger's.
    const pages = [0x40002000, 0x40003000, 0xe000e000, 0x50000000];
    for (const capacity of [64, 4096]) {
      const byRecord = new AccessLog(capacity);
      const byListener = new AccessLog(capacity);
      const at = { clock: { now: 0 }, pc: 0 };
      const debugging = { depth: 0 };
      const listener = byListener.recorder(at, debugging);
      const next = lcg(capacity + 1);
      for (let k = 0; k < 20_000; k++) {
        const r = next();
        const p = r < 0.9 ? 0 : r < 0.97 ? 1 : r < 0.99 ? 2 : 3;
        const address = (pages[p]! + 4 * (k % 64)) >>> 0;
        const size = ([1, 2, 4] as const)[k % 3]!;
        const write = next() < 0.5;
        const value = Math.floor(next() * 2 ** 32) >>> 0;
        at.clock.now = 1_000 + 3 * k + (k > 10_000 ? 2 ** 33 : 0);
        at.pc = (k % 7 === 0 ? 0x80001000 : 0x2000) + 2 * (k % 50);
        at.pc |= 0;
        debugging.depth = next() < 0.002 ? 1 : 0;
        byRecord.record(
          at.clock.now,
          write,
          size,
          address,
          value,
          at.pc >>> 0,
          debugging.depth !== 0,
        );
        listener(write, address, size, value);
      }
      expect(byListener.recorded).toBe(byRecord.recorded);
      // Everything the ring holds, then what each filter finds (kept-apart rings included).
      expect(byListener.since(0, 1e6)).toEqual(byRecord.since(0, 1e6));
      for (const base of pages) {
        const filter = { ranges: [base, base + 0x1000], debugger: true, kept: true };
        const want = byRecord.since(0, 1e6, Infinity, filter);
        expect(want.entries.some((e) => e.debugger)).toBe(true);
        expect(byListener.since(0, 1e6, Infinity, filter)).toEqual(want);
      }
    }
  });

  it('marks an access made while the debugger is at work as the debugger`s', () => {
    const log = new AccessLog(8);
    const at = { clock: { now: 5 }, pc: 0x1234 };
    const debugging = { depth: 0 };
    const listener = log.recorder(at, debugging);
    listener(true, 0x4000251c, 4, 0x41);
    debugging.depth = 2;
    at.clock.now = 6;
    listener(false, 0x40002518, 1, 0xffffffff);
    expect(log.since(0).entries).toEqual([
      {
        seq: 0,
        cycle: 5,
        write: true,
        size: 4,
        address: 0x4000251c,
        value: 0x41,
        pc: 0x1234,
        debugger: false,
      },
      {
        seq: 1,
        cycle: 6,
        write: false,
        size: 1,
        address: 0x40002518,
        value: 0xffffffff,
        pc: 0x1234,
        debugger: true,
      },
    ]);
    // Kept apart as `record` keeps the debugger's: found by a filter after the ring moved on.
    debugging.depth = 0;
    for (let k = 0; k < 20; k++) listener(true, 0x40003000, 4, k);
    expect(
      log.since(0, 100, Infinity, { ranges: [], debugger: true }).entries.map((e) => e.seq),
    ).toEqual([1]);
  });
});
