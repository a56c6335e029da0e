/**
 * The OpenOCD flasher against real OpenOCD 0.12 and the emulated nRF52840-DK on remote_bitbang:
 * a rebuilt image (Intel HEX) is programmed into the running board, verified and reset into,
 * and the new firmware boots (its banner on the console); progress follows OpenOCD's output;
 * every failure a person meets comes back as the FlashError kind the IDE acts on, from real
 * OpenOCD output: verify mismatch naming the address, no probe (remote_bitbang with nothing
 * listening, and the nRF52840-DK's J-Link configuration with no J-Link plugged in), a chip that
 * does not halt, OpenOCD missing (naming the Debian package), an unreadable image.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBoard } from '../../emulator/boards/registry';
import type { FlashProgress } from '../../emulator/debug/flasher';
import { findTool } from '../../emulator/node/tools';
import type { HostEvent } from '../../main/common/contract';
import { createHost } from '../../main/host/host';
import { OpenocdFlasher } from '../../main/host/openocd-flasher';
import {
  classifyOpenocdFailure,
  openocdForBoard,
  openocdForEmulator,
  runOpenocd,
} from '../../main/host/openocd';
import { compilerAvailable } from '../programs/nrf52-baremetal/build';
import { skipWithoutTool } from '../tools';
import {
  buildFlashedImages,
  RESOURCES,
  startEmulatedBoard,
  type EmulatedBoard,
  type FlashedImages,
} from './emulated-board';

const noOpenocd = skipWithoutTool(findTool('openocd').ok, 'openocd', 'apt-get install openocd');
const noCompiler = skipWithoutTool(
  compilerAvailable(),
  'arm-none-eabi-gcc',
  'apt-get install gcc-arm-none-eabi',
);

/** A loopback port nobody listens on. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe.skipIf(noOpenocd || noCompiler)('OpenOCD flasher on the emulated nRF52840-DK', () => {
  let images: FlashedImages;
  let board: EmulatedBoard;
  let flasher: OpenocdFlasher;

  beforeAll(async () => {
    const built = buildFlashedImages();
    if (!built.ok) throw new Error(built.error);
    images = built.value;
    board = await startEmulatedBoard(images.a);
    await board.waitForOutput('flashed image A');
    flasher = new OpenocdFlasher({
      board: 'nrf52840dk',
      setup: openocdForEmulator(board.port, RESOURCES),
      // The registry's chip: the FICR check passes on the emulated nRF52840.
      chip: 'nRF52840',
    });
  }, 90_000);

  afterAll(async () => {
    await board?.stop();
  });

  it('programs a rebuilt image, verifies it, resets, and the new firmware boots', async () => {
    const progress: FlashProgress[] = [];
    const from = board.output().length;
    const r = await flasher.program(
      { file: images.bHex, format: 'ihex' },
      { verify: true, reset: true, onProgress: (p) => progress.push(p) },
    );
    if (!r.ok) throw new Error(`${r.error.kind}: ${r.error.message}\n${r.error.log?.join('\n')}`);
    expect(r.value.verified).toBe(true);
    expect(r.value.reset).toBe(true);
    expect(r.value.bytes).toBeGreaterThan(0x100);
    // Phases in order, from OpenOCD's own output; the program phase ends at its total.
    const phases = [...new Set(progress.map((p) => p.phase))];
    expect(phases).toEqual(['connect', 'program', 'verify', 'reset']);
    const wrote = progress.find((p) => p.phase === 'program' && p.done > 0);
    expect(wrote?.done).toBe(wrote?.total);
    expect(wrote?.message).toMatch(/^wrote \d+ bytes from file/);
    await board.waitForOutput('flashed image B', 30_000, from);
  }, 60_000);

  it("an image built for another board is refused: the registry's chip and the FICR disagree", async () => {
    // The micro:bit v2's registry entry names an nRF52833; the emulated DK's FICR INFO.PART
    // says nRF52840. Nothing is written: the board still holds image B afterwards.
    const other = new OpenocdFlasher({
      board: 'microbit-v2',
      setup: openocdForEmulator(board.port, RESOURCES),
      chip: 'nRF52833',
    });
    const progress: FlashProgress[] = [];
    const r = await other.program(
      { file: images.a, format: 'elf' },
      { verify: true, reset: true, onProgress: (p) => progress.push(p) },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('wrong-board');
    expect(r.error.message).toMatch(/built for the micro:bit v2 \(nRF52833\)/);
    expect(r.error.message).toMatch(
      /is an nRF52840 \(nRF52840-DK\) \(FICR INFO\.PART 0x00052840\)/,
    );
    expect(r.error.fix).toMatch(/choose the board that is attached/);
    expect(progress.map((p) => p.phase)).not.toContain('program');
    const still = await flasher.verify({ file: images.b, format: 'elf' });
    expect(still).toEqual({ ok: true, value: undefined });
  }, 60_000);

  it('verify names the first address where the board differs from the image', async () => {
    // The board now holds image B; image A differs from it in its banner.
    const r = await flasher.verify({ file: images.a, format: 'elf' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('verify-failed');
    expect(r.error.message).toMatch(/at 0x[0-9a-f]+ the board holds 0x42, the image 0x41/);
    expect(r.error.fix).toMatch(/flash the image again/);
    // And the matching image verifies.
    const good = await flasher.verify({ file: images.b, format: 'elf' });
    expect(good).toEqual({ ok: true, value: undefined });
  }, 60_000);

  it('a chip that does not halt in time is a timeout with a fix', async () => {
    const setup = openocdForEmulator(board.port, RESOURCES);
    // The board runs its firmware; nothing asks it to halt, so waiting for a halt times out
    // exactly as a chip that ignores the request does.
    const run = await runOpenocd('openocd', setup, ['init', 'wait_halt 200']);
    expect(run.ok).toBe(true);
    if (!run.ok) return;
    expect(run.value.code).not.toBe(0);
    const e = classifyOpenocdFailure(run.value.lines, setup);
    expect(e?.kind).toBe('timeout');
    expect(e?.message).toMatch(/did not halt/);
  }, 60_000);

  it("the host's flash.program flashes a project's image with flash.progress events; failures are HostErrors with the fix", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'flash-host-'));
    try {
      copyFileSync(images.a, path.join(dir, 'image-a.elf'));
      const host = createHost({
        projectRoot: dir,
        appRoot: path.resolve(RESOURCES, '..'),
        transport: 'browser',
        recoveryDir: path.join(dir, '.cache'),
        watchTree: false,
      });
      const events: HostEvent[] = [];
      const conn = host.connect((batch) => events.push(...batch));
      const from = board.output().length;
      const r = await conn.call(1, 'flash.program', {
        board: 'nrf52840dk',
        image: 'image-a.elf',
        emulatorPort: board.port,
      });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      expect(r).toMatchObject({
        ok: true,
        value: { board: 'nrf52840dk', verified: true, reset: true },
      });
      const progress = events.filter((e) => e.name === 'flash.progress');
      expect(progress.map((e) => (e.payload as { phase: string }).phase)).toContain('verify');
      await board.waitForOutput('flashed image A', 30_000, from);
      // An image outside the project, and a board that is not there.
      const outside = await conn.call(2, 'flash.program', {
        board: 'nrf52840dk',
        image: '../x.hex',
      });
      expect(outside).toMatchObject({ ok: false, error: { code: 'outside-project' } });
      const none = await conn.call(3, 'flash.program', {
        board: 'nrf52840dk',
        image: 'image-a.elf',
        emulatorPort: await deadPort(),
      });
      expect(none).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      if (!none.ok) expect(none.error.fix).toMatch(/USB cable/);
      const probes = await conn.call(4, 'probes.list', {});
      expect(probes.ok).toBe(true);
      host.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('no probe: nothing on the remote_bitbang port', async () => {
    const f = new OpenocdFlasher({
      board: 'nrf52840dk',
      setup: openocdForEmulator(await deadPort(), RESOURCES),
    });
    const r = await f.program({ file: images.bHex, format: 'ihex' }, { verify: true, reset: true });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('no-probe');
    expect(r.error.message).toMatch(/no debug probe was found/);
  }, 60_000);
});

describe.skipIf(noOpenocd)('OpenOCD flasher errors without a board', () => {
  it("no probe: the nRF52840-DK's J-Link configuration with no J-Link plugged in", async () => {
    const dk = findBoard('nrf52840dk');
    if (!dk.ok) throw new Error(dk.error);
    const setup = openocdForBoard(dk.value.board);
    if (!setup.ok) throw new Error(setup.error);
    expect(setup.value.args).toEqual([
      '-f',
      'interface/jlink.cfg',
      '-c',
      'transport select swd',
      '-f',
      'target/nrf52.cfg',
    ]);
    const f = new OpenocdFlasher({ board: 'nrf52840dk', setup: setup.value });
    const r = await f.erase();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    // This machine has no J-Link; a developer's might (then the test says what it met).
    expect(r.error.kind, r.error.log?.join('\n')).toBe('no-probe');
    expect(r.error.fix).toMatch(/USB cable/);
  }, 60_000);

  it('OpenOCD missing names the Debian package; an unreadable image is refused first', async () => {
    const f = new OpenocdFlasher({
      board: 'nrf52840dk',
      setup: openocdForEmulator(1, RESOURCES),
      openocd: '/nonexistent/openocd',
    });
    const missing = await f.erase();
    expect(missing.ok).toBe(false);
    if (!missing.ok) {
      expect(missing.error.kind).toBe('tool-missing');
      expect(missing.error.message).toMatch(/install the Debian package 'openocd'/);
    }
    const bad = await f.program(
      { file: '/nonexistent/image.hex', format: 'ihex' },
      { verify: true, reset: true },
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.kind).toBe('bad-image');
      expect(bad.error.message).toMatch(/cannot read \/nonexistent\/image\.hex/);
    }
  });
});
