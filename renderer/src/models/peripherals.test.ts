// The access log in the peripherals model: the window keeps the debugger's own reads when it
// trims, a poll that skips ahead (a kernel polling at full speed) still fetches the debugger's
// reads of the stretch it skips, and filters go to the host and fetch again from the oldest
// entry, so a filtered view holds every match the log has.
import { describe, expect, it } from 'vitest';
import type { AccessLogEntry, AccessLogPage, Result } from '../../../main/common/contract';
import { RowsWriter } from '../../../main/common/access-log-rows';
import { hostConnection, type Transport } from '../client';
import { fairDrops } from './access-log-rows';
import { CATCH_UP, filterRows, LOG_LIMIT, PeripheralsModel, TAIL_PAGE } from './peripherals';

function entry(seq: number, register: string, debuggerRead = false): AccessLogEntry {
  return {
    seq,
    cycle: seq,
    write: false,
    size: 4,
    address: 0x40002000,
    value: 0,
    pc: 0x100,
    debugger: debuggerRead,
    peripheral: register.split('.')[0]!,
    register,
    decoded: null,
    source: null,
  };
}

/** A host whose log holds `total` entries: entry 5 is the debugger's read of UART0.RXD. */
function fakeHost(total: number, dropped = 0) {
  const calls: Record<string, unknown>[] = [];
  const all = Array.from({ length: total }, (_, i) =>
    i === 5
      ? entry(i, 'UART0.RXD', true)
      : entry(i, i % 1000 === 7 ? 'UARTE0.TASKS_STARTTX' : 'TIMER0.CC[0]'),
  );
  const transport: Transport = {
    call: async (method, args) => {
      const a = (args ?? {}) as Record<string, number | string | boolean | undefined>;
      if (method !== 'peripherals.log') return { ok: true, value: null } as Result<unknown>;
      calls.push(a);
      const since = (a.since as number | undefined) ?? total;
      const until = Math.min(total, (a.until as number | undefined) ?? total);
      const max = (a.max as number | undefined) ?? 5000;
      const entries: AccessLogEntry[] = [];
      // The emulator's ring no longer holds the first `dropped` entries.
      let s = Math.max(since, dropped);
      for (; s < until && entries.length < max; s++) {
        const e = all[s]!;
        if (a.debuggerOnly && !e.debugger) continue;
        if (a.register && !e.register!.toLowerCase().includes(String(a.register).toLowerCase()))
          continue;
        entries.push(e);
      }
      const missed = Math.max(0, dropped - since);
      const page: AccessLogPage = { on: true, entries, next: s, missed, frequencyHz: 64e6 };
      if (a.compact) {
        // As the host answers the window: columns, not objects.
        const w = new RowsWriter(entries.length);
        for (const e of entries) w.add(e);
        page.rows = w.finish();
        page.entries = [];
      }
      return { ok: true, value: page } as Result<unknown>;
    },
    onEvents: () => () => {},
  };
  const store = new Map<string, string>();
  return {
    calls,
    model: new PeripheralsModel(hostConnection(transport), {
      get: (k: string) => store.get(k) ?? null,
      set: (k: string, v: string) => void store.set(k, v),
    } as never),
  };
}

/** A compact page of `entries` as the host sends it (`passed` only for a `newest` read). */
function logPage(
  entries: AccessLogEntry[],
  next: number,
  missed: number,
  passed: number | undefined,
): AccessLogPage {
  const w = new RowsWriter(entries.length);
  for (const e of entries) w.add(e);
  const page: AccessLogPage = { on: true, entries: [], next, missed, frequencyHz: 64e6 };
  if (passed !== undefined) page.passed = passed;
  page.rows = w.finish();
  return page;
}

/** The panel's model over a fake host. */
function modelOver(transport: Transport): PeripheralsModel {
  return new PeripheralsModel(hostConnection(transport), {
    get: () => null,
    set: () => undefined,
  } as never);
}

/**
 * A host whose emulator floods the log: every call finds 30,000 more entries of UARTE0.TXD
 * recorded (a UART flood between two replies). `fetched` counts the entries sent, `passed` the
 * ones `newest` reads left out (every entry matches a UARTE0 filter).
 */
function floodHost() {
  let total = 100_000;
  let sent = 0;
  let passed = 0;
  const calls: Record<string, number | undefined>[] = [];
  const transport: Transport = {
    call: async (method, args) => {
      if (method !== 'peripherals.log')
        return { ok: false, error: { code: 'unavailable', message: 'no SVD here' } } as never;
      const a = (args ?? {}) as Record<string, number | undefined>;
      calls.push(a);
      total += 30_000;
      let since = a.since ?? total;
      const until = Math.min(total, a.until ?? total);
      const entries: AccessLogEntry[] = [];
      if (a.newest && a.since !== undefined) {
        const first = Math.max(since, until - (a.max ?? 5000));
        passed += first - since;
        since = first;
      }
      let s = since;
      for (; s < until && entries.length < (a.max ?? 5000); s++) {
        if (a.debuggerOnly) continue;
        entries.push(entry(s, 'UARTE0.TXD'));
      }
      sent += entries.length;
      const passedNow = a.newest ? since - (a.since ?? since) : undefined;
      return { ok: true, value: logPage(entries, s, 0, passedNow) } as Result<unknown>;
    },
    onEvents: () => () => {},
  };
  return { model: modelOver(transport), calls, fetched: () => sent, passed: () => passed };
}

/** Lets the polls a model started on its own (a filter set) run to their end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

/**
 * An emulator whose ring holds only its newest `capacity` entries while a flood records
 * 30,000 between two replies (a fast machine: the ring holds less than a round trip), with a
 * debugger's read at seq 5 kept apart (as the emulator keeps the debugger's entries).
 */
function ringHost(capacity: number) {
  let total = 100_000;
  const calls: Record<string, number | boolean | undefined>[] = [];
  const transport: Transport = {
    call: async (method, args) => {
      if (method !== 'peripherals.log')
        return { ok: false, error: { code: 'unavailable', message: 'no SVD here' } } as never;
      const a = (args ?? {}) as Record<string, number | boolean | undefined>;
      calls.push(a);
      total += 30_000;
      const oldest = total - capacity;
      const since = (a.since as number | undefined) ?? total;
      const until = Math.min(total, (a.until as number | undefined) ?? total);
      const max = (a.max as number | undefined) ?? 5000;
      const entries: AccessLogEntry[] = [];
      let next = until;
      let missed = 0;
      let passed = 0;
      if (a.debuggerOnly) {
        if (since <= 5 && until > 5) entries.push(entry(5, 'UART0.RXD', true));
      } else {
        const from = Math.max(since, oldest);
        missed = from - since;
        const first = a.newest ? Math.max(from, until - max) : from;
        passed = first - from;
        for (let s = first; s < until && entries.length < max; s++)
          entries.push(entry(s, 'UART0.TXD'));
        next = first + entries.length;
      }
      return {
        ok: true,
        value: logPage(entries, next, missed, a.newest ? passed : undefined),
      } as Result<unknown>;
    },
    onEvents: () => () => {},
  };
  return { model: modelOver(transport), calls };
}

describe('the access log window', () => {
  it('keeps the debugger`s reads when it trims the oldest entries', () => {
    const { model } = fakeHost(0);
    model.appendEntries([
      entry(0, 'UART0.RXD', true),
      ...Array.from({ length: LOG_LIMIT }, (_, i) => entry(i + 1, 'X.Y')),
    ]);
    expect(model.rows.length).toBe(LOG_LIMIT);
    expect(model.rows.entry(0).debugger).toBe(true);
    expect(model.rows.entry(1).seq).toBe(2);
  });

  it('skips ahead of a fast kernel but keeps the debugger`s read from the stretch skipped', async () => {
    const { model, calls } = fakeHost(100_000);
    // Scrolled up (not following): the poll fetches up to CATCH_UP.
    model.setLogFollowing(false);
    await model.pollLog();
    expect(calls.some((c) => c.debuggerOnly === true && c.since === 0 && c.until === 80_000)).toBe(
      true,
    );
    const rows = Array.from({ length: model.rows.length }, (_, i) => model.rows.entry(i));
    expect(rows.filter((e) => e.debugger).map((e) => e.seq)).toEqual([5]);
    expect(model.rows.length).toBe(20_001);
    // Asked for as columns; the newest entry comes back whole from them.
    expect(calls.filter((c) => c.since !== undefined).every((c) => c.compact === true)).toBe(true);
    expect(model.rows.entry(20_000)).toMatchObject({
      seq: 99_999,
      register: 'TIMER0.CC[0]',
      peripheral: 'TIMER0',
      debugger: false,
    });
    expect(model.snapshot().log.missed).toBe(80_000 - 1);
  });

  it('fetches no further than the head it saw first while the emulator floods the log', async () => {
    const { model, calls } = floodHost();
    model.setLogFollowing(false);
    await model.pollLog();
    const head = 130_000; // what the first call (max 0) answered
    expect(calls[0]).toMatchObject({ max: 0 });
    const pages = calls.filter((c) => c.since !== undefined && c.debuggerOnly === undefined);
    expect(pages.every((c) => c.until === head)).toBe(true);
    expect(pages).toHaveLength(2);
    expect(model.logSequence).toBe(head);
    expect(model.rows.entry(model.rows.length - 1).seq).toBe(head - 1);
  });

  it('following a flood that outruns the ring, still shows its newest page and the debugger`s read', async () => {
    // The ring holds 20,000 entries and 30,000 are recorded between two replies: a page asked
    // for after a request for the head would be gone before it is read.
    const { model, calls } = ringHost(20_000);
    await model.pollLog();
    expect(calls[0]).toMatchObject({ since: 0, max: TAIL_PAGE, newest: true });
    const rows = Array.from({ length: model.rows.length }, (_, i) => model.rows.entry(i));
    expect(rows).toHaveLength(1 + TAIL_PAGE);
    expect(rows[0]).toMatchObject({ seq: 5, debugger: true });
    expect(rows[rows.length - 1]!.seq).toBe(129_999);
    expect(model.logSequence).toBe(130_000);
    // Everything else before the page counts as missed, once.
    expect(model.snapshot().log.missed).toBe(130_000 - TAIL_PAGE - 1);
    await model.pollLog();
    expect(model.rows.length).toBe(1 + 2 * TAIL_PAGE);
    expect(model.snapshot().log.missed).toBe(model.logSequence - model.rows.length);
  });

  it('following a run, fetches only the newest page, not the flood; more once scrolled up or stopped', async () => {
    const { model, fetched } = floodHost();
    for (let i = 0; i < 4; i++) await model.pollLog();
    // Four polls of a flood of 90,000 entries each: the newest page of each, nothing more.
    expect(fetched()).toBe(4 * TAIL_PAGE);
    expect(model.rows.length).toBe(4 * TAIL_PAGE);
    expect(model.rows.entry(model.rows.length - 1).seq).toBe(model.logSequence - 1);
    expect(model.snapshot().log.missed).toBe(model.logSequence - model.rows.length);
    // Scrolled up: the next poll fetches what there is to scroll through.
    model.setLogFollowing(false);
    let before = fetched();
    await model.pollLog();
    expect(fetched() - before).toBe(CATCH_UP);
    // Following a stopped session: nothing more is coming, so again all a poll may fetch.
    model.setLogFollowing(true);
    await model.sessionChanged({ board: 'nrf52840dk', phase: 'halted' });
    before = fetched();
    await model.pollLog();
    expect(fetched() - before).toBe(CATCH_UP);
    // Running again: the newest page.
    await model.sessionChanged({ board: 'nrf52840dk', phase: 'running' });
    before = fetched();
    await model.pollLog();
    expect(fetched() - before).toBe(TAIL_PAGE);
  });

  it('following a run with a filter that matches the flood itself, fetches only its newest matches', async () => {
    const { model, calls, fetched, passed } = floodHost();
    model.setLogFilter({ peripheralFilter: 'UARTE0' });
    await settle();
    for (let i = 0; i < 4; i++) await model.pollLog();
    await settle();
    const reads = calls.filter((c) => c.since !== undefined);
    expect(reads.length).toBeGreaterThanOrEqual(4);
    expect(reads.every((c) => c.newest === (true as never) && c.max === TAIL_PAGE)).toBe(true);
    // The newest page of matches per poll, not every match (ten pages of 10,000 a poll before).
    expect(fetched()).toBe(reads.length * TAIL_PAGE);
    expect(model.rows.entry(model.rows.length - 1).seq).toBe(model.logSequence - 1);
    // The matches left out are counted as such, not as overwritten.
    expect(passed()).toBeGreaterThan(0);
    expect(model.snapshot().log.passed).toBe(passed());
    expect(model.snapshot().log.missed).toBe(0);
    // Unticked: the matches passed over are fetched, with the rest, from the oldest the
    // emulator holds (forward reads from 0), and no longer counted as skipped.
    const before = calls.length;
    model.setLogFollowing(false);
    await settle();
    const after = calls.slice(before).filter((c) => c.since !== undefined);
    expect(after.length).toBeGreaterThan(0);
    expect(after[0]!.since).toBe(0);
    expect(after.every((c) => c.newest === undefined && c.max === 10_000)).toBe(true);
    expect(model.snapshot().log.passed).toBe(0);
    expect(model.rows.entry(0).seq).toBe(0);
    // Following again and unticking with nothing passed over: no refetch.
    model.setLogFollowing(true);
    const unfollowed = calls.length;
    model.setLogFollowing(false);
    await settle();
    expect(calls.slice(unfollowed).every((c) => c.since !== 0)).toBe(true);
  });

  it('stops saying it records when the session ends (the next target records nothing yet)', async () => {
    const { model } = fakeHost(10);
    await model.setLogging(true);
    expect(model.snapshot().log.on).toBe(true);
    await model.sessionChanged({ board: 'nrf52840dk', phase: 'ended' });
    expect(model.snapshot().log.on).toBe(false);
  });

  it('filters in the host, fetching every match again from the oldest entry', async () => {
    const { model, calls } = fakeHost(100_000);
    await model.pollLog();
    model.setLogFilter({ registerFilter: 'STARTTX' });
    await new Promise((r) => setTimeout(r, 0));
    await model.pollLog();
    expect(calls.some((c) => c.register === 'STARTTX' && c.since === 0)).toBe(true);
    // All 100 matches, the 80 the unfiltered window had skipped too.
    expect(model.filtered().count).toBe(100);
    expect(model.snapshot().log.missed).toBe(0);
  });

  it('says how many accesses the ring had dropped before the filter was set', async () => {
    const { model } = fakeHost(100_000, 30_000);
    model.setLogFilter({ registerFilter: 'STARTTX' });
    await new Promise((r) => setTimeout(r, 0));
    await model.pollLog();
    expect(model.filtered().count).toBe(70);
    expect(model.snapshot().log.unsearched).toBe(30_000);
    expect(model.snapshot().log.missed).toBe(0);
    // A Restart: the count was about the run before it; the filter stays.
    model.restarted();
    expect(model.snapshot().log.unsearched).toBe(0);
    expect(model.snapshot().log.registerFilter).toBe('STARTTX');
    model.setLogFilter({ registerFilter: 'STARTTX' });
    await new Promise((r) => setTimeout(r, 0));
    await model.pollLog();
    expect(model.snapshot().log.unsearched).toBe(30_000);
    // A Restart before the first filtered reply arrives: the reply does not bring it back.
    model.setLogFilter({ registerFilter: 'TXD' });
    model.restarted();
    await new Promise((r) => setTimeout(r, 0));
    await model.pollLog();
    expect(model.snapshot().log.unsearched).toBe(0);
    // A new filter asks again; none set: nothing to say.
    model.setLogFilter({ registerFilter: '' });
    expect(model.snapshot().log.unsearched).toBe(0);
  });
});

describe('the SVD', () => {
  it('is asked for once when the session`s start and its first stop come together', async () => {
    let asked = 0;
    const transport: Transport = {
      call: async (method) => {
        if (method === 'peripherals.describe') asked++;
        return { ok: false, error: { code: 'unavailable', message: 'no' } } as Result<unknown>;
      },
      onEvents: () => () => {},
    };
    const model = new PeripheralsModel(hostConnection(transport), {
      get: () => null,
      set: () => undefined,
    } as never);
    await Promise.all([
      model.sessionChanged({ board: 'nrf52840dk', phase: 'starting' }),
      model.sessionChanged({ board: 'nrf52840dk', phase: 'halted' }),
    ]);
    expect(asked).toBe(1);
  });
});

describe('the board view', () => {
  it('asks for the first drawing once at a time, however often the panel polls', async () => {
    let asked = 0;
    let answer: (() => void) | null = null;
    const transport: Transport = {
      call: async (method) => {
        if (method !== 'peripherals.board') return { ok: true, value: null } as Result<unknown>;
        asked++;
        await new Promise<void>((r) => (answer = r));
        return { ok: true, value: { board: 'nrf52840dk' } } as Result<unknown>;
      },
      onEvents: () => () => {},
    };
    const model = new PeripheralsModel(hostConnection(transport), {
      get: () => null,
      set: () => undefined,
    } as never);
    // A slow host: the panel's 500 ms poll fires three times before the first answer.
    const polls = [model.loadBoard(), model.loadBoard(), model.loadBoard()];
    await new Promise((r) => setTimeout(r, 0));
    expect(asked).toBe(1);
    answer!();
    await Promise.all(polls);
    expect(model.snapshot().board).toMatchObject({ board: 'nrf52840dk' });
    // The next poll asks again.
    const next = model.loadBoard();
    await new Promise((r) => setTimeout(r, 0));
    expect(asked).toBe(2);
    answer!();
    await next;
  });
});

describe('per-peripheral retention', () => {
  const write = (seq: number, register: string, address: number): AccessLogEntry => ({
    ...entry(seq, register),
    write: true,
    address,
  });

  it('keeps a quiet peripheral`s entries through a flood from another, and says what it dropped', () => {
    const { model } = fakeHost(0);
    let seq = 0;
    model.appendEntries([write(seq++, 'P0.OUTSET', 0x50000508)]);
    // 100,000 writes to UARTE0, page by page as the window receives them.
    for (let p = 0; p < 10; p++)
      model.appendEntries(
        Array.from({ length: 10_000 }, () => write(seq++, 'UARTE0.TXD.PTR', 0x40002544)),
      );
    model.appendEntries([write(seq++, 'P0.OUTCLR', 0x5000050c)]);
    expect(model.rows.length).toBe(LOG_LIMIT);
    // Both GPIO writes are kept, found by the peripheral filter; the flood lost its oldest.
    const gpio = filterRows(model.rows, 'P0', '');
    expect(gpio.count).toBe(2);
    expect([0, 1].map((k) => model.rows.entry(gpio.at![k]!).register)).toEqual([
      'P0.OUTSET',
      'P0.OUTCLR',
    ]);
    const uarte = filterRows(model.rows, 'uarte0', '');
    expect(uarte.count).toBe(LOG_LIMIT - 2);
    expect(model.rows.entry(uarte.at![0]!).seq).toBe(3); // seq 1 and 2 dropped
    expect(model.snapshot().log.dropped).toEqual([{ peripheral: 'UARTE0', count: 2 }]);
  });

  it('shares the room fairly: the busiest peripherals are cut to a common level', () => {
    // Groups of 50, 30 and 5 entries, 31 to drop: the two largest cut to 25 and 24, the small
    // one untouched.
    const drops = fairDrops(Int32Array.from([0, 50, 30, 5]), 31);
    expect(Array.from(drops)).toEqual([0, 25, 6, 0]);
    // A flood alone: only it loses entries.
    expect(Array.from(fairDrops(Int32Array.from([1, 100_000, 1]), 2))).toEqual([0, 2, 0]);
    // More to drop than there are entries: everything goes.
    expect(Array.from(fairDrops(Int32Array.from([3, 4]), 10))).toEqual([3, 4]);
  });
});

describe('the chip description on demand', () => {
  it('asks for what the panel shows whole, and a peripheral`s fields when it is expanded', async () => {
    const field = { name: 'ENABLE', bitOffset: 0, bitWidth: 4, enumeratedValues: [] };
    const peripheral = (name: string, baseAddress: number, fields: (typeof field)[]) => ({
      name,
      baseAddress,
      addressBlocks: [],
      interrupts: [],
      line: 1,
      registers: [{ name: 'ENABLE', addressOffset: 0x500, size: 32, access: 'read-write', fields }],
    });
    const calls: [string, unknown][] = [];
    const transport: Transport = {
      call: async (method, args) => {
        calls.push([method, args]);
        if (method === 'peripherals.describe')
          return {
            ok: true,
            value: {
              board: 'nrf52840dk',
              source: 'built-in',
              path: 'resources/svd/nrf52840.svd',
              warnings: [],
              priorityBits: 3,
              partial: ['UART0'],
              device: {
                name: 'nrf52840',
                peripherals: [
                  peripheral('UARTE0', 0x40002000, [field]),
                  peripheral('UART0', 0x40002000, []),
                ],
              },
            },
          } as Result<unknown>;
        if (method === 'peripherals.detail')
          return { ok: true, value: [peripheral('UART0', 0x40002000, [field])] } as Result<unknown>;
        return { ok: true, value: null } as Result<unknown>;
      },
      onEvents: () => () => {},
    };
    const store = new Map<string, string>([
      ['capsule.peripherals.favourites', JSON.stringify({ nrf52840dk: ['UARTE0.ENABLE'] })],
    ]);
    const model = new PeripheralsModel(hostConnection(transport), {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    } as never);
    await model.sessionChanged({ board: 'nrf52840dk', phase: 'running' } as never);
    // The favourite's peripheral came whole with the first description.
    expect(calls.find(([m]) => m === 'peripherals.describe')?.[1]).toEqual({ detail: ['UARTE0'] });
    expect(calls.some(([m]) => m === 'peripherals.detail')).toBe(false);
    model.toggle('UART0');
    await new Promise((r) => setTimeout(r, 0));
    expect(calls.filter(([m]) => m === 'peripherals.detail').map(([, a]) => a)).toEqual([
      { names: ['UART0'] },
    ]);
    const s = model.snapshot();
    expect(s.description?.partial).toEqual([]);
    const uart0 = s.tree.find((p) => p.label === 'UART0')!;
    expect(uart0.peripheral.registers[0]!.fields.map((f) => f.name)).toEqual(['ENABLE']);
  });
});
