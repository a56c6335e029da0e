// The OpenOCD model as the Boards panel drives it: the board's images loaded when the board is
// chosen, the flash call carrying the probe or the emulated port (never both), progress of its
// own flash only, the result, and the host's error (message and fix) kept for the panel.
import { describe, expect, it } from 'vitest';
import type { HostEventName, HostEvents, Result } from '../../../main/common/contract';
import { hostConnection, type Transport } from '../client';
import { OpenocdModel } from './openocd';

function fakeHost(answer: (method: string, args: unknown) => Promise<Result<unknown>>) {
  let push: (events: { name: HostEventName; payload: unknown }[]) => void = () => {};
  const calls: [string, unknown][] = [];
  const transport: Transport = {
    call: async (method, args) => {
      calls.push([method, args]);
      return answer(method, args);
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

const IMAGES = ['target/images/nrf52840dk/image.hex', 'target/images/nrf52840dk/kernel.elf'];

describe('OpenocdModel', () => {
  it('loads the images of the chosen board and flashes through the emulated port', async () => {
    let release: (r: Result<unknown>) => void = () => {};
    const h = fakeHost((method) =>
      method === 'flash.images'
        ? Promise.resolve({ ok: true, value: IMAGES })
        : new Promise((r) => (release = r)),
    );
    const m = new OpenocdModel(h.conn);
    m.choose({ board: 'nrf52840dk', via: { emulatorPort: 3335, probeSerial: 'ignored' } });
    await new Promise((r) => setTimeout(r, 0));
    expect(m.snapshot().images).toEqual(IMAGES);
    expect(m.snapshot().via).toEqual({ emulatorPort: 3335 });

    const flashing = m.flash(IMAGES[0]!);
    expect(m.snapshot().flashing).toEqual({ image: IMAGES[0], flashId: null });
    // A second flash while one runs is not started.
    expect(await m.flash(IMAGES[1]!)).toBe(false);
    const progress = { flashId: 7, board: 'nrf52840dk', phase: 'program' as const };
    h.emit('flash.progress', { ...progress, done: 100, total: 400 });
    expect(m.snapshot().progress?.done).toBe(100);
    // Another flash's progress (another window) is not this one's.
    h.emit('flash.progress', { ...progress, flashId: 8, done: 300, total: 400 });
    expect(m.snapshot().progress?.done).toBe(100);
    const result = { flashId: 7, board: 'nrf52840dk', bytes: 400, verified: true, reset: true };
    release({ ok: true, value: { ...result, ms: 1200 } });
    expect(await flashing).toBe(true);
    expect(m.snapshot()).toMatchObject({ flashing: null, error: null, result });
    expect(h.calls.find(([n]) => n === 'flash.program')?.[1]).toEqual({
      board: 'nrf52840dk',
      image: IMAGES[0],
      verify: true,
      reset: true,
      emulatorPort: 3335,
    });
  });

  it("keeps the host's error with its fix, and names the probe by its serial", async () => {
    const error = {
      code: 'unavailable' as const,
      message: 'the chip is protected (APPROTECT)',
      fix: 'erase and unlock it\ncommand: nrf52_recover',
    };
    const h = fakeHost((method) =>
      Promise.resolve(
        method === 'flash.images' ? { ok: true, value: IMAGES } : { ok: false, error },
      ),
    );
    const m = new OpenocdModel(h.conn);
    m.choose({ board: 'nrf52840dk', via: { probeSerial: '000683' } });
    expect(await m.flash(IMAGES[1]!)).toBe(false);
    expect(m.snapshot()).toMatchObject({ flashing: null, result: null, error });
    expect(h.calls.find(([n]) => n === 'flash.program')?.[1]).toMatchObject({
      probeSerial: '000683',
    });
  });
});
