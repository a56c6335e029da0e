import { describe, expect, it } from 'vitest';
import { buildTab } from '../../../emulator/formats/tab';
import { buildTbfHeader, walkTbfs, type TbfHeaderSpec } from '../../../emulator/formats/tbf';
import { TockBootloaderBoard, type OpenOptions } from './board';
import { crc32 } from './protocol';
import { SimulatedBoard } from './testing/simulated-board';

const ENTRY = { methods: ['dtr-rts'] as const, manual: 'Hold BUTTON1 and press RESET.' };
const OPEN: OpenOptions = {
  boardName: 'nrf52840dk',
  entry: ENTRY,
  flashEnd: 0x100000,
  appsStart: 0x40000,
};

/** A TBF of `size` bytes with a Program TLV; fixed at `flash` (its TBF address) when given. */
function app(
  name: string,
  size = 0x4000,
  opts: { flash?: number; ram?: number; sticky?: boolean } = {},
): Uint8Array {
  const spec = (headerSize: number): TbfHeaderSpec => ({
    totalSize: size,
    packageName: name,
    sticky: opts.sticky ?? false,
    program: {
      initFnOffset: 1,
      protectedTrailerSize: 0x80 - headerSize,
      minimumRamSize: 0x1000,
      binaryEndOffset: 0x100,
      appVersion: 3,
    },
    ...(opts.flash !== undefined
      ? { fixedAddresses: { flash: opts.flash + 0x80, ram: opts.ram ?? 0x20008000 } }
      : {}),
  });
  const headerSize = buildTbfHeader(spec(0)).length;
  const header = buildTbfHeader(spec(headerSize));
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 13 + name.length) & 0xff;
  out.set(header);
  return out;
}

async function open(board = new SimulatedBoard(), options: Partial<OpenOptions> = {}) {
  const r = await TockBootloaderBoard.open(board, { ...OPEN, ...options });
  if (!r.ok) throw new Error(r.error.message);
  return { sim: board, board: r.value };
}

/** What the kernel would load: the apps walkTbfs finds (padding left out). */
function kernelView(sim: SimulatedBoard): string[] {
  return walkTbfs(sim.flash.subarray(0x40000))
    .apps.filter((a) => !a.header.isPadding)
    .map((a) => `${a.header.packageName}@0x${(0x40000 + a.offset).toString(16)}`);
}

describe('a board in its Tock bootloader', () => {
  it('learns the layout from INFO and the attributes', async () => {
    const { board } = await open();
    expect(board.info).toMatchObject({ version: '1.1.0', startAddress: 0x8000 });
    expect(board.layout).toEqual({
      bootloader: { start: 0, end: 0x8000 },
      kernel: { start: 0x8000, end: 0x40000 },
      apps: { start: 0x40000, end: 0x100000 },
      appsStartFrom: 'attribute',
    });
    expect(board.attributes.map((a) => `${a.key}=${a.value}`)).toEqual([
      'board=nrf52840dk',
      'arch=cortex-m4',
      'appaddr=0x40000',
    ]);
  });

  it('installs a fixed and a position-independent app, lists them, removes one', async () => {
    const { sim, board } = await open();
    expect((await board.listApps()).ok && (await board.listApps())).toMatchObject({
      value: { apps: [] },
    });
    const a = await board.install(app('blink', 0x4000, { flash: 0x44000 }));
    expect(a).toMatchObject({ ok: true, value: { name: 'blink', address: 0x44000 } });
    const b = await board.install(app('pic', 0x2000));
    expect(b).toMatchObject({ ok: true, value: { name: 'pic', address: 0x40000 } });
    expect(kernelView(sim)).toEqual(['pic@0x40000', 'blink@0x44000']);
    const listed = await board.listApps();
    expect(listed.ok && listed.value.apps.filter((x) => !x.padding).map((x) => x.name)).toEqual([
      'pic',
      'blink',
    ]);
    expect(await board.uninstall('pic')).toEqual({ ok: true, value: 1 });
    expect(kernelView(sim)).toEqual(['blink@0x44000']);
    expect(await board.uninstall('blink')).toEqual({ ok: true, value: 1 });
    expect(kernelView(sim)).toEqual([]);
    expect(walkTbfs(sim.flash.subarray(0x40000)).apps).toEqual([]);
    const missing = await board.uninstall('nothing');
    expect(!missing.ok && missing.error.message).toMatch(/no app called 'nothing'/);
  });

  it('replaces an app of the same name and keeps sticky apps through erase-apps unless forced', async () => {
    const { sim, board } = await open();
    await board.install(app('keep', 0x2000, { sticky: true }));
    await board.install(app('blink', 0x4000, { flash: 0x44000 }));
    const v2 = app('blink', 0x4000, { flash: 0x44000 });
    v2[0x90] ^= 0xff;
    expect((await board.install(v2)).ok).toBe(true);
    expect(kernelView(sim)).toEqual(['keep@0x40000', 'blink@0x44000']);
    expect(sim.flash[0x44090]).toBe(v2[0x90]);
    expect(await board.eraseApps()).toEqual({ ok: true, value: 1 });
    expect(kernelView(sim)).toEqual(['keep@0x40000']);
    expect(await board.eraseApps({ force: true })).toEqual({ ok: true, value: 1 });
    expect(kernelView(sim)).toEqual([]);
  });

  it('installs from a TAB, picking the TBF linked for this board, and refuses one for another board', async () => {
    const { sim, board } = await open();
    const tab = buildTab({
      name: 'blink',
      tbfs: [
        { arch: 'cortex-m0', bytes: app('blink', 0x4000) },
        {
          arch: 'cortex-m4',
          fixed: { flash: 0x30080, ram: 0x20008000 },
          bytes: app('blink', 0x4000, { flash: 0x30000 }),
        },
        {
          arch: 'cortex-m4',
          fixed: { flash: 0x48080, ram: 0x20008000 },
          bytes: app('blink', 0x4000, { flash: 0x48000 }),
        },
      ],
    });
    expect(await board.install(tab)).toMatchObject({ ok: true, value: { address: 0x48000 } });
    expect(kernelView(sim)).toEqual(['blink@0x48000']);
    const other = buildTab({
      name: 'x',
      onlyForBoards: ['microbit-v2'],
      tbfs: [{ arch: 'cortex-m4', bytes: app('x') }],
    });
    const r = await board.install(other);
    expect(!r.ok && r.error).toMatchObject({
      kind: 'wrong-board',
      message: expect.stringMatching(/only for microbit-v2/),
    });
    const m0 = buildTab({ name: 'y', tbfs: [{ arch: 'cortex-m0', bytes: app('y') }] });
    expect((await board.install(m0)).ok).toBe(false);
  });

  it('refuses an app linked outside the apps region, and never writes below the apps start', async () => {
    const { sim, board } = await open();
    const before = sim.flash.slice();
    const r = await board.install(app('elsewhere', 0x4000, { flash: 0x20000 }));
    expect(!r.ok && r.error).toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/another board/),
    });
    const kernel = await board.programSegments([{ address: 0x3ff00, data: new Uint8Array(0x200) }]);
    expect(!kernel.ok && kernel.error).toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/kernel/),
    });
    const boot = await board.eraseRange(0x400, 0x200);
    expect(!boot.ok && boot.error.kind).toBe('refused');
    expect(crc32(sim.flash)).toBe(crc32(before));
    expect(sim.commands.filter((c) => c === 'write-page' || c === 'erase-page')).toEqual([]);
  });

  it('flashes a kernel linked for the bootloader into the kernel region, and refuses one that is not', async () => {
    const { sim, board } = await open();
    await board.install(app('kept'));
    // A kernel linked at 0x8000: its code, its data's load image right after, a trailer at the
    // top of the region (as our kernel's attributes are).
    const code = Uint8Array.from({ length: 0x1234 }, (_, i) => (i * 7) & 0xff);
    const data = Uint8Array.from({ length: 0x90 }, (_, i) => 0x80 | i);
    const trailer = new Uint8Array(0x20).fill(0x5a);
    const image = [
      { address: 0x8000, data: code },
      { address: 0x8000 + code.length, data },
      { address: 0x3ffe0, data: trailer },
    ];
    const r = await board.programKernel(image);
    // 10 pages of code, the page the data shares with the code's end again, the trailer's page.
    expect(r).toEqual({ ok: true, value: { bytes: 12 * 512, verified: true } });
    expect(sim.flash.subarray(0x8000, 0x8000 + code.length)).toEqual(code);
    expect(sim.flash.subarray(0x8000 + code.length, 0x8000 + code.length + 0x90)).toEqual(data);
    expect(sim.flash.subarray(0x3ffe0, 0x40000)).toEqual(trailer);
    expect(kernelView(sim)).toEqual(['kept@0x40000']);

    const before = sim.flash.slice();
    sim.commands.length = 0;
    const atZero = await board.programKernel([{ address: 0, data: code }]);
    expect(!atZero.ok && atZero.error).toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(
        /the bootloader lives at 0x00000000-0x00008000, and this kernel was linked to start at 0x00000000, not at 0x00008000/,
      ),
      fix: expect.stringMatching(/build the kernel for the board with its bootloader/),
    });
    const intoApps = await board.programKernel([{ address: 0x3fe00, data: new Uint8Array(0x400) }]);
    expect(!intoApps.ok && intoApps.error.message).toMatch(/the kernel region ends at 0x00040000/);
    expect(sim.commands.filter((c) => c === 'write-page' || c === 'erase-page')).toEqual([]);
    expect(crc32(sim.flash)).toBe(crc32(before));
  });

  it('moves to a faster rate when asked, and stays at 115200 when the board refuses it', async () => {
    const fast = await open(new SimulatedBoard(), { baudRate: 1_000_000 });
    expect(fast.board.baudRate).toBe(1_000_000);
    expect(fast.sim.baud).toBe(1_000_000);
    expect((await fast.board.listApps()).ok).toBe(true);
    const sim = new SimulatedBoard();
    sim.baudRates = [115200];
    const slow = await open(sim, { baudRate: 1_000_000 });
    expect(slow.board.baudRate).toBe(115200);
    expect(sim.baud).toBe(115200);
    expect((await slow.board.listApps()).ok).toBe(true);
  });

  it('survives the port vanishing mid-transfer: the half-written app is unreachable, a retry installs it', async () => {
    const { sim, board } = await open();
    await board.install(app('first', 0x4000, { flash: 0x40000 }));
    sim.loseLinkAfterWrites = 10;
    const image = app('second', 0x8000, { flash: 0x48000 });
    const r = await board.install(image);
    expect(!r.ok && r.error.kind).toBe('link-lost');
    sim.reconnect();
    expect(kernelView(sim)).toEqual(['first@0x40000']);
    const again = await TockBootloaderBoard.open(sim, OPEN);
    expect(again.ok).toBe(true);
    if (!again.ok) return;
    expect(await again.value.install(image)).toMatchObject({
      ok: true,
      value: { address: 0x48000 },
    });
    expect(kernelView(sim)).toEqual(['first@0x40000', 'second@0x48000']);
    expect(crc32(sim.flash.subarray(0x48000, 0x50000))).toBe(crc32(image));
  });

  it('detects a page that did not take by CRC and repairs it on the next run', async () => {
    const { sim, board } = await open();
    sim.corruptNextWrite = true;
    const image = app('blink', 0x4000, { flash: 0x40000 });
    const r = await board.programSegments([{ address: 0x40000, data: image }]);
    expect(!r.ok && r.error).toMatchObject({
      kind: 'verify-failed',
      message: expect.stringMatching(/CRC-32/),
    });
    expect((await board.verifySegments([{ address: 0x40000, data: image }])).ok).toBe(false);
    expect(await board.programSegments([{ address: 0x40000, data: image }])).toEqual({
      ok: true,
      value: { bytes: 0x4000, verified: true },
    });
    expect((await board.verifySegments([{ address: 0x40000, data: image }])).ok).toBe(true);
  });

  it('says how to enter the bootloader when nothing answers, and uses DTR/RTS where that works', async () => {
    const silent = new SimulatedBoard();
    silent.inBootloader = false;
    const r = await TockBootloaderBoard.open(silent, OPEN);
    expect(!r.ok && r.error).toEqual({
      kind: 'timeout',
      message: expect.stringMatching(/no bootloader answers on \/dev\/simulated .*DTR\/RTS/),
      fix: 'Hold BUTTON1 and press RESET.',
    });
    const wired = new SimulatedBoard();
    wired.inBootloader = false;
    wired.enterOnPulse = true;
    expect((await TockBootloaderBoard.open(wired, OPEN)).ok).toBe(true);
    expect(wired.pulses).toBe(1);
  });

  it('waits for a late answer instead of sending the command twice', async () => {
    const { sim, board } = await open();
    sim.answerDelayReads = 1;
    const before = sim.commands.length;
    const r = await board.programSegments([
      { address: 0x40000, data: app('slow', 0x400, { flash: 0x40000 }) },
    ]);
    expect(r).toEqual({ ok: true, value: { bytes: 0x400, verified: true } });
    expect(sim.commands.slice(before).filter((c) => c !== 'reset')).toEqual([
      'write-page',
      'write-page',
      'crc',
    ]);
  });

  it('refuses to treat a bootloader on another board as the chosen one', async () => {
    const sim = new SimulatedBoard({
      attributes: { board: 'microbit-v2', arch: 'cortex-m4', appaddr: '0x40000' },
    });
    const r = await TockBootloaderBoard.open(sim, OPEN);
    expect(!r.ok && r.error).toMatchObject({
      kind: 'wrong-board',
      message: expect.stringMatching(/'microbit-v2', not on 'nrf52840dk'/),
    });
  });

  it('sets attributes and reads them back; EXIT leaves the bootloader', async () => {
    const { sim, board } = await open();
    expect((await board.setAttribute(5, 'owner', 'lab 3')).ok).toBe(true);
    expect(board.attributes.find((a) => a.index === 5)).toMatchObject({
      key: 'owner',
      value: 'lab 3',
    });
    const bad = await board.setAttribute(5, 'far-too-long-key', 'x');
    expect(!bad.ok && bad.error.kind).toBe('refused');
    expect((await board.exit()).ok).toBe(true);
    expect(sim.exited).toBe(true);
  });
});
