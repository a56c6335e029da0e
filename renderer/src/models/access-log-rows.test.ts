// The Access Log's window as columns: pages written by the host (RowsWriter), carried over the
// wire as one binary frame, appended with their string tables remapped, trimmed keeping the
// debugger's reads, and read back entry by entry as the host named them.
import { describe, expect, it } from 'vitest';
import { RowsWriter } from '../../../main/common/access-log-rows';
import type { AccessLogEntry, AccessLogSource } from '../../../main/common/contract';
import { decodeFrame, encodeFrame } from '../../../main/common/wire';
import { LogRows } from './access-log-rows';

const line = (n: number): AccessLogSource => ({
  path: 'capsules/src/console.rs',
  inProject: true,
  line: n,
  column: 5,
  function: 'capsules::console::Console::send',
});

function entry(seq: number, register: string, more: Partial<AccessLogEntry> = {}): AccessLogEntry {
  return {
    seq,
    cycle: seq * 10 + 0.5,
    write: seq % 2 === 0,
    size: 4,
    address: 0x4000_2000 + (seq % 4) * 4,
    value: 0xffff_0000 + seq,
    pc: 0x1_0000 + seq,
    debugger: false,
    peripheral: register.split('.')[0]!,
    register,
    decoded: `V=${seq % 3}`,
    source: line(seq % 5),
    caller: null,
    ...more,
  };
}

function page(entries: AccessLogEntry[]) {
  const w = new RowsWriter(entries.length);
  for (const e of entries) w.add(e);
  return w.finish();
}

const all = (rows: LogRows) => Array.from({ length: rows.length }, (_, i) => rows.entry(i));

describe('access-log rows', () => {
  it('reads back every field the host wrote, through a binary frame', () => {
    const entries = [
      entry(0, 'UARTE0.TASKS_STARTTX', { caller: line(84) }),
      entry(1, 'UART0.RXD', { debugger: true, source: null, decoded: null }),
      entry(2, 'UARTE0.EasyDMA', { dma: true, size: 1, source: null }),
      entry(3, '', { peripheral: null, register: null, decoded: null, size: 2 }),
    ];
    const rows = page(entries);
    // Strings and places are sent once each.
    expect(rows.sources.length).toBe(3);
    // A frame puts the bytes at any offset: the float columns are read from an aligned copy.
    const frame = encodeFrame({ rows, pad: 'x' });
    expect(frame).toBeInstanceOf(Uint8Array);
    const back = decodeFrame(frame);
    if (!back.ok) throw new Error(back.error);
    const log = new LogRows(10);
    log.append((back.value as { rows: typeof rows }).rows);
    expect(all(log)).toEqual(entries.map((e) => ({ ...e, caller: e.caller ?? null })));
  });

  it('maps each page`s names onto the window`s, and keeps the debugger`s reads when trimming', () => {
    const log = new LogRows(1000);
    log.append(page([entry(0, 'UART0.RXD', { debugger: true }), entry(1, 'TIMER0.CC[0]')]));
    // The next page numbers its strings from 0 again, in another order.
    log.append(
      page(
        Array.from({ length: 1000 }, (_, i) => entry(i + 2, i % 2 ? 'GPIO.OUT' : 'RTC1.COUNTER')),
      ),
    );
    expect(log.length).toBe(1000);
    expect(log.entry(0)).toMatchObject({ seq: 0, debugger: true, register: 'UART0.RXD' });
    // The busiest peripherals lost their oldest (RTC1's seq 2, GPIO's seq 3); TIMER0's one entry
    // stays; the rest are in order.
    expect(log.entry(1)).toMatchObject({ seq: 1, register: 'TIMER0.CC[0]' });
    expect(log.entry(2).seq).toBe(4);
    expect([...log.dropped]).toEqual([
      ['RTC1', 1],
      ['GPIO', 1],
    ]);
    expect(log.entry(999)).toMatchObject({ seq: 1001, register: 'GPIO.OUT', peripheral: 'GPIO' });
    expect(log.peripherals()).toEqual(['GPIO', 'RTC1', 'TIMER0', 'UART0']);
    log.clear();
    expect([log.length, log.peripherals()]).toEqual([0, []]);
  });

  it('keeps its string table bounded when a counter has a new decoding at every read', () => {
    const log = new LogRows(100);
    for (let p = 0; p < 10; p++)
      log.append(
        page(
          Array.from({ length: 100 }, (_, i) =>
            entry(p * 100 + i, 'RTC1.COUNTER', { decoded: `COUNTER=${p * 100 + i}` }),
          ),
        ),
      );
    expect(log.length).toBe(100);
    expect(log.entry(99)).toMatchObject({ seq: 999, decoded: 'COUNTER=999' });
    expect(log.entry(0)).toMatchObject({ seq: 900, decoded: 'COUNTER=900' });
    expect(
      (log as unknown as { strings: { values: string[] } }).strings.values.length,
    ).toBeLessThanOrEqual(300);
  });
});
