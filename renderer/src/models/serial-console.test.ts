// The serial console model fed events as the host sends them: output of its own port only,
// a character split across chunks decoded whole, CRLF read as lines, the text capped, the
// state following the host's status events, and an error kept when the port cannot be opened.
import { describe, expect, it } from 'vitest';
import type { HostEventName, HostEvents, Result } from '../../../main/common/contract';
import { hostConnection, type Transport } from '../client';
import { MAX_TEXT, SerialConsoleModel } from './serial-console';

function fakeHost(answers: Record<string, Result<unknown>>) {
  let push: (events: { name: HostEventName; payload: unknown }[]) => void = () => {};
  const calls: [string, unknown][] = [];
  const transport: Transport = {
    call: async (method, args) => {
      calls.push([method, args]);
      return answers[method] ?? { ok: true, value: null };
    },
    onEvents: (l) => {
      push = l as typeof push;
      return () => {};
    },
  };
  return {
    conn: hostConnection(transport),
    calls,
    emit<K extends HostEventName>(name: K, payload: HostEvents[K]) {
      push([{ name, payload }]);
    },
  };
}

const info = { path: '/dev/ttyACM0', baudRate: 115200, state: 'open' as const };
const bytes = (s: string) => new TextEncoder().encode(s);

describe('SerialConsoleModel', () => {
  it('shows its port output as lines, decoding characters split across chunks', async () => {
    const h = fakeHost({ 'serialConsole.open': { ok: true, value: info } });
    const m = new SerialConsoleModel(h.conn);
    expect(await m.open('/dev/ttyACM0', 115200, 'logs/dk.log')).toBe(true);
    expect(h.calls[0]).toEqual([
      'serialConsole.open',
      { path: '/dev/ttyACM0', baudRate: 115200, logFile: 'logs/dk.log' },
    ]);
    const degree = bytes('21.5 \u00b0C\r\n');
    h.emit('serialConsole.data', { path: '/dev/ttyACM0', bytes: degree.slice(0, 6) });
    h.emit('serialConsole.data', { path: '/dev/ttyACM1', bytes: bytes('other port') });
    h.emit('serialConsole.data', { path: '/dev/ttyACM0', bytes: degree.slice(6) });
    expect(m.snapshot().text).toBe('21.5 \u00b0C\n');

    h.emit('serialConsole.status', { ...info, state: 'reconnecting', message: 'went away' });
    expect(m.snapshot().info?.state).toBe('reconnecting');

    expect(await m.send('list')).toBe(true);
    expect(h.calls.at(-1)).toEqual([
      'serialConsole.write',
      { path: '/dev/ttyACM0', bytes: bytes('list\r') },
    ]);
  });

  it('keeps the newest output within its limit', async () => {
    const h = fakeHost({ 'serialConsole.open': { ok: true, value: info } });
    const m = new SerialConsoleModel(h.conn);
    await m.open('/dev/ttyACM0', 115200);
    h.emit('serialConsole.data', { path: '/dev/ttyACM0', bytes: bytes('a'.repeat(MAX_TEXT)) });
    h.emit('serialConsole.data', { path: '/dev/ttyACM0', bytes: bytes('end') });
    expect(m.snapshot().text).toHaveLength(MAX_TEXT);
    expect(m.snapshot().text.endsWith('aend')).toBe(true);
  });

  it('keeps the host error when the port cannot be opened', async () => {
    const error = {
      code: 'not-found' as const,
      message: '/dev/ttyACM9 does not exist (unplugged?)',
    };
    const h = fakeHost({ 'serialConsole.open': { ok: false, error } });
    const m = new SerialConsoleModel(h.conn);
    expect(await m.open('/dev/ttyACM9', 115200)).toBe(false);
    expect(m.snapshot()).toMatchObject({ path: null, error });
    expect(await m.send('x')).toBe(false);
  });

  it('hands the raw bytes of its own port to a terminal, sends typed keys as they are, and says when cleared', async () => {
    const h = fakeHost({ 'serialConsole.open': { ok: true, value: info } });
    const m = new SerialConsoleModel(h.conn);
    await m.open('/dev/ttyACM0', 115200);
    const got: string[] = [];
    let cleared = 0;
    const off = m.onData((b) => got.push(new TextDecoder().decode(b)));
    m.onClear(() => cleared++);
    h.emit('serialConsole.data', { path: '/dev/ttyACM0', bytes: bytes('tock$ \r\n') });
    h.emit('serialConsole.data', { path: '/dev/ttyACM1', bytes: bytes('other port') });
    expect(got).toEqual(['tock$ \r\n']);
    expect(await m.sendRaw('l\r')).toBe(true);
    expect(h.calls.at(-1)).toEqual([
      'serialConsole.write',
      { path: '/dev/ttyACM0', bytes: bytes('l\r') },
    ]);
    m.clear();
    expect(cleared).toBe(1);
    off();
    h.emit('serialConsole.data', { path: '/dev/ttyACM0', bytes: bytes('more') });
    expect(got).toHaveLength(1);
    // What the Console panel shows is kept in the model (the panel remounts when shown again).
    expect(m.snapshot().shown).toBeNull();
    m.show('/dev/ttyACM0');
    expect(m.snapshot().shown).toBe('/dev/ttyACM0');
  });
});
