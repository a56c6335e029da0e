/**
 * The Tock ABI both ways, with apps written as Tock apps are (kernel/apps/c, C built by Debian's
 * arm-none-eabi-gcc, position independent, packed without fixed addresses):
 *  - `pic` runs at two different flash addresses and proves its GOT, data relocations, .bss and
 *    upcall pointers all moved with it (mps2-an386 in QEMU, nRF52840-DK in the emulator);
 *  - `tockabi` checks the entry registers as Tock passes them (r0 binary start, r1 RAM start,
 *    r2 RAM size, r3 initial break = r1 + 32), that returns write only their variant's
 *    registers, and that a store above the break faults (MPU) as on Tock;
 *  - every built app's TAB holds metadata.toml and a TBF identical to the .tbf, and the
 *    emulator boots a kernel with TABs wherever it takes TBFs.
 * The compatibility table in kernel/README.md points here.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTbfHeader } from '../../emulator/formats/tbf';
import { bootEmulator, type EmulatorRun } from './emulated';
import {
  bootBoard,
  builtTbf,
  composeImage,
  faultReports,
  kernelImage,
  kernelPanics,
  type QemuRun,
} from './qemu';

let q: QemuRun | EmulatorRun | undefined;
afterEach(async () => {
  await q?.stop();
  q = undefined;
});

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** Where Tock's r0 points for a TBF at `at`: the binary, after the header and protected region
 * (process_standard.rs: `app_start = flash_start + header.get_protected_size()`). */
function binaryStart(tbf: Uint8Array, at: number): number {
  const h = parseTbfHeader(tbf);
  if (!h.ok) throw new Error(h.error.message);
  const info = h.value.program ?? h.value.main;
  return at + h.value.headerSize + (info?.protectedTrailerSize ?? 0);
}

for (const board of ['mps2-an386', 'nrf52840dk']) {
  describe(`Tock ABI (${board})`, () => {
    it('runs the position-independent C app at two flash addresses', async () => {
      const img = kernelImage(board);
      const pic = builtTbf(img.manifest, 'pic').bytes;
      const hello = builtTbf(img.manifest, 'hello');
      const places = [img.manifest.appsStart, img.manifest.appsStart + 0x8000];
      for (const [i, at] of places.entries()) {
        // The second image puts hello first, so pic also gets a different RAM block.
        const tbfs = i === 0 ? [{ address: at, bytes: pic }] : [hello, { address: at, bytes: pic }];
        const appsBin = await composeImage(img.manifest, tbfs, `pic-${board}-${i}`);
        q = bootBoard(board, { kernelElf: img.kernelElf, appsBin, pace: 'fast' });
        const m = await q.waitFor(
          /pic: running at flash (0x[0-9a-f]+) ram (0x[0-9a-f]+) break (0x[0-9a-f]+)\n/,
          30_000,
        );
        expect(m[1]).toBe(hex(binaryStart(pic, at)));
        await q.waitFor(/pic: relocated ok\n/, 30_000);
        await q.waitFor(/process 'pic' exited with code 0/, 30_000);
        expect(q.output()).not.toMatch(/relocation FAILED/);
        expect(kernelPanics(q.output())).toEqual([]);
        await q.stop();
        q = undefined;
      }
    });

    it('passes entry registers as Tock does, writes only the used return registers, and faults a store above the break', async () => {
      const img = kernelImage(board);
      const at = img.manifest.appsStart + 0x4000;
      const tockabi = builtTbf(img.manifest, 'tockabi').bytes;
      const appsBin = await composeImage(
        img.manifest,
        [{ address: at, bytes: tockabi }],
        `tockabi-${board}`,
      );
      q = bootBoard(board, { kernelElf: img.kernelElf, appsBin, pace: 'fast' });
      const entry = await q.waitFor(
        /tockabi: entry ok r0=(0x[0-9a-f]+) r1=(0x[0-9a-f]+) r2=(0x[0-9a-f]+) r3=(0x[0-9a-f]+)\n/,
        30_000,
      );
      expect(entry[1]).toBe(hex(binaryStart(tockabi, at)));
      expect(parseInt(entry[4]!, 16)).toBe(parseInt(entry[2]!, 16) + 32);
      await q.waitFor(/tockabi: returns ok\n/, 30_000);
      // Whole lines only: QEMU's output arrives in chunks, and a number cut at a chunk's end
      // would match a shorter number.
      const store = await q.waitFor(/tockabi: storing above the break at (0x[0-9a-f]+)\n/, 30_000);
      await q.waitFor(/process fault: 'tockabi'[^\n]*\n/, 30_000);
      const fault = faultReports(q.output()).find((f) => f.name === 'tockabi');
      expect(fault?.address).toBe(parseInt(store[1]!, 16));
      expect(q.output()).not.toMatch(/tockabi: FAILED/);
      expect(kernelPanics(q.output())).toEqual([]);
    });
  });
}

describe('TAB files', () => {
  it('every built app has a TAB whose TBF is the .tbf, as tar and tockloader read it', () => {
    const img = kernelImage('nrf52840dk');
    for (const app of img.manifest.apps) {
      const names = execFileSync('tar', ['-tf', app.tab], { encoding: 'utf8' }).trim().split('\n');
      // tockloader's names: <arch>.tbf, or <arch>.<flash>.<ram>.tbf for a fixed-address build.
      expect(names[0]).toBe('metadata.toml');
      expect(names.length).toBe(2);
      if (app.positionIndependent) expect(names[1]).toBe('cortex-m4.tbf');
      else expect(names[1]).toMatch(/^cortex-m4\.0x[0-9a-f]{8}\.0x[0-9a-f]{8}\.tbf$/);
      const meta = execFileSync('tar', ['-xOf', app.tab, 'metadata.toml'], { encoding: 'utf8' });
      expect(meta).toContain(`name = "${app.name}"`);
      expect(meta).toMatch(/minimum-tock-kernel-version = "2\.\d+"/);
      const tbf = execFileSync('tar', ['-xOf', app.tab, names[1]!]);
      expect(new Uint8Array(tbf)).toEqual(new Uint8Array(readFileSync(app.tbf)));
    }
  });

  it('the emulator boots a kernel with apps given as TABs at any address', async () => {
    const img = kernelImage('nrf52840dk');
    const tab = (name: string, address: number) => {
      const app = img.manifest.apps.find((a) => a.name === name)!;
      return { name: app.tab, bytes: new Uint8Array(readFileSync(app.tab)), address };
    };
    // hello is fixed at the apps start; pic goes wherever it is put (here right after hello: the
    // kernel, like Tock, stops at the first flash that is not a TBF).
    q = bootEmulator({
      machine: 'nrf52840dk',
      kernelElf: img.kernelElf,
      pace: 'fast',
      files: [tab('hello', img.manifest.appsStart), tab('pic', img.manifest.appsStart + 0x4000)],
    });
    await q.waitFor(/hello: Hello, World!/, 30_000);
    const m = await q.waitFor(/pic: running at flash (0x[0-9a-f]+)/, 30_000);
    const pic = builtTbf(img.manifest, 'pic').bytes;
    expect(m[1]).toBe(hex(binaryStart(pic, img.manifest.appsStart + 0x4000)));
    await q.waitFor(/pic: relocated ok\n/, 30_000);
    expect(kernelPanics(q.output())).toEqual([]);
  });
});
