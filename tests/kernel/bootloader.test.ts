/**
 * Our Tock bootloader on the emulated nRF52840-DK, driven over a pseudo-terminal by the host's
 * bootloader flasher exactly as a board on a USB serial port would be, for what the Boards e2e
 * (tests/e2e/boards.e2e.test.ts: install, list, remove, whole-kernel flash, EXIT, no answer,
 * port gone) does not cover: at 1 Mbaud, the layout and the kernel attributes of the kernel
 * linked at 0x8000, a broken kernel repaired through the bootloader and the app kept, one linked
 * for the board without a bootloader refused, then EXIT and the kernel runs the app; writes over
 * the bootloader refused by the firmware itself, an app built for another board refused; the
 * port vanishing in the middle of an install.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { buildTab } from '../../emulator/formats/tab';
import { TockBootloaderBoard, type FlashSegment } from '../../main/debug/tock-bootloader/board';
import { bootloaderBoard } from '../../main/debug/tock-bootloader/boards';
import { readImage } from '../../main/host/bootloader-flasher';
import { openSerialLink, type NodeSerialLink } from '../../main/host/serial';
import { startEmulatedBootloader, type EmulatedBootloader } from '../bootloader-pty';

const DK = bootloaderBoard('nrf52840dk')!;

function images(): { hex: string; kernelElf: string; apps: string } {
  const all = inject('kernelImages');
  const boot = all['nrf52840dk-bootloader'];
  const dk = all.nrf52840dk;
  if (!boot?.ok) throw new Error(boot?.problem ?? 'bootloader image not built');
  if (!dk?.ok) throw new Error(dk?.problem ?? 'nrf52840dk image not built');
  return {
    hex: join(boot.dir, 'image.hex'),
    kernelElf: join(boot.dir, 'kernel.elf'),
    apps: join(dk.dir, 'apps'),
  };
}

/** An ELF's load segments, as the host's bootloader flasher reads them. */
async function segmentsOf(file: string): Promise<FlashSegment[]> {
  const r = await readImage({ file, format: 'elf' });
  if (!r.ok || !('segments' in r.value)) throw new Error(`${file}: not a kernel image`);
  return r.value.segments;
}

let board: EmulatedBootloader | undefined;
let link: NodeSerialLink | undefined;
afterEach(async () => {
  await link?.close();
  await board?.stop();
  board = undefined;
  link = undefined;
});

async function connect(holdButtonSeconds: number | null): Promise<NodeSerialLink> {
  board = await startEmulatedBootloader({ image: images().hex, holdButtonSeconds });
  const l = await openSerialLink(board.path);
  if (!l.ok) throw new Error(l.error.message);
  link = l.value;
  return l.value;
}

async function open(l: NodeSerialLink, baudRate?: number): Promise<TockBootloaderBoard> {
  const b = await TockBootloaderBoard.open(l, {
    boardName: 'nrf52840dk',
    boardAliases: DK.aliases,
    entry: DK.entry,
    flashEnd: DK.flashEnd,
    appsStart: DK.appsStart,
    ...(baudRate ? { baudRate } : {}),
  });
  if (!b.ok) throw new Error(`${b.error.message}\n${board?.stderr()}`);
  return b.value;
}

describe('the Tock bootloader on the emulated nRF52840-DK', () => {
  it('flashes the kernel through the bootloader: a broken kernel repaired, the apps kept', async () => {
    const l = await connect(0.5);
    // At 1 Mbaud (CHANGE_BAUD_RATE, tockloader's --baud-rate): our bootloader's UART switches.
    const bl = await open(l, 1_000_000);
    expect(bl.baudRate).toBe(1_000_000);
    // What the bootloader reports of itself and of the kernel after it: the kernel's attributes
    // (computed from the start the kernel is linked at) say 0x8000 up to the apps.
    expect(bl.info).toMatchObject({
      version: '1.1.0',
      startAddress: 0x8000,
      name: 'Tock Bootloader',
    });
    expect(bl.layout).toMatchObject({
      bootloader: { start: 0, end: 0x8000 },
      kernel: { start: 0x8000, end: 0x40000 },
      appsStartFrom: 'attribute',
    });
    expect(bl.kernelAttributes?.kernelFlash).toEqual({ start: 0x8000, length: 0x38000 });
    expect(Object.fromEntries(bl.attributes.map((a) => [a.key, a.value]))).toEqual({
      board: 'nrf52840dk',
      arch: 'cortex-m4',
      appaddr: '0x40000',
      pagesize: '4096',
    });
    const { apps, kernelElf } = images();
    expect((await bl.install(readFileSync(join(apps, 'hello.tab')))).ok).toBe(true);
    // Break the kernel (its vector table becomes zeros): it could not start any more...
    const broken = await bl.programKernel([{ address: 0x8000, data: new Uint8Array(512) }]);
    expect(broken).toEqual({ ok: true, value: { bytes: 512, verified: true } });
    // ...then write the built kernel's first 4 KiB (linked at 0x8000, after the bootloader)
    // over it. (The whole kernel, 170 pages, is written through the IDE in the Boards e2e.)
    const code = (await segmentsOf(kernelElf)).find((s) => s.address === 0x8000)!;
    const flashed = await bl.programKernel([
      { address: 0x8000, data: code.data.subarray(0, 0x1000) },
    ]);
    expect(flashed).toEqual({ ok: true, value: { bytes: 0x1000, verified: true } });
    // The plain DK's kernel starts at 0, in the bootloader: refused before anything is sent.
    const refused = await bl.programKernel(await segmentsOf(join(apps, '..', 'kernel.elf')));
    expect(!refused.ok && refused.error).toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/linked to start at 0x00000000, not at 0x00008000/),
    });
    expect((await bl.exit()).ok).toBe(true);
    await board!.waitFor(/hello: Hello, World!/, 90_000);
    expect(board!.output()).toMatch(/\[kernel\] 1 process\(es\) loaded/);
  });

  it('refuses what must not be written', async () => {
    const l = await connect(0.5);
    const bl = await open(l);
    // The firmware itself refuses a page inside the bootloader (the host would not even ask).
    const own = await bl.client.writePage(0x1000, new Uint8Array(512));
    expect(!own.ok && own.error).toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/BADADDR/),
    });
    const kernel = await bl.programSegments([{ address: 0x8000, data: new Uint8Array(512) }]);
    expect(!kernel.ok && kernel.error.kind).toBe('refused');
    const hello = readFileSync(join(images().apps, 'hello.tbf'));
    const other = buildTab({
      name: 'hello',
      onlyForBoards: ['microbit-v2'],
      tbfs: [{ arch: 'cortex-m4', bytes: hello }],
    });
    const refused = await bl.install(other);
    expect(!refused.ok && refused.error.message).toMatch(/only for microbit-v2/);
    const listed = await bl.listApps();
    expect(listed.ok && listed.value.apps).toEqual([]);
  });

  it('reports the port vanishing midway as a lost link', async () => {
    const l = await connect(0.5);
    const bl = await open(l);
    const pending = bl.install(readFileSync(join(images().apps, 'hello.tab')));
    setTimeout(() => board!.process.kill('SIGKILL'), 300);
    const r = await pending;
    expect(!r.ok && r.error).toMatchObject({
      kind: 'link-lost',
      message: expect.stringMatching(/\/dev\/pts\/\d+ went away/),
      fix: expect.stringMatching(/run the operation again/),
    });
  });
});
