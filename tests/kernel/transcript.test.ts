/**
 * Boot transcript on QEMU: the kernel loads hello, rng and timer from a composed image, each
 * prints what it should (greeting and memory layout, three different random words, ten timer
 * ticks at increasing times), and the image exactly as `kernel.mjs build` wrote it boots too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootQemu, builtTbf, composeImage, kernelImage, kernelPanics, type QemuRun } from './qemu';

let q: QemuRun | undefined;
afterEach(async () => {
  await q?.stop();
  q = undefined;
});

describe('boot transcript (mps2-an386)', () => {
  it('loads three apps and prints the expected lines', async () => {
    const img = kernelImage();
    const apps = ['hello', 'rng', 'timer'].map((n) => builtTbf(img.manifest, n));
    const appsBin = await composeImage(img.manifest, apps, 'transcript');
    q = bootQemu({ kernelElf: img.kernelElf, appsBin });

    await q.waitFor(/3 process\(es\) loaded/);
    for (const name of ['hello', 'rng', 'timer']) {
      const app = img.manifest.apps.find((a) => a.name === name)!;
      const re = new RegExp(
        `loaded process '${name}' \\(pid \\d+\\): flash 0x0*${app.flash.toString(16)}`,
      );
      expect(q.output()).toMatch(re);
    }
    await q.waitFor(/hello: Hello, World!/);
    const layout = await q.waitFor(
      /hello: flash (0x[0-9a-f]+)-(0x[0-9a-f]+) ram (0x[0-9a-f]+)-(0x[0-9a-f]+)\n/,
    );
    const hello = img.manifest.apps.find((a) => a.name === 'hello')!;
    expect(parseInt(layout[1]!, 16)).toBe(hello.flash);
    expect(parseInt(layout[3]!, 16)).toBe(hello.ram);
    expect(parseInt(layout[4]!, 16)).toBeGreaterThan(hello.ram! + hello.minimumRamSize - 1);

    // Wait for the whole line: the word arrives after the prefix over the UART.
    await q.waitFor(/rng: round 3 got 8 bytes [0-9a-f]{16}\n/);
    const words = [...q.output().matchAll(/rng: round \d got 8 bytes ([0-9a-f]{16})/g)].map(
      (m) => m[1],
    );
    expect(words).toHaveLength(3);
    expect(new Set(words).size).toBe(3);

    await q.waitFor(/timer: done/, 90_000);
    const ticks = [...q.output().matchAll(/timer: tick (\d+) at (\d+) ms/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(ticks.map((t) => t[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (let i = 0; i < ticks.length; i++) {
      // Each alarm fires no earlier than 250 ms after the previous one was set.
      expect(ticks[i]![1]).toBeGreaterThanOrEqual(250 * (i + 1));
    }
    await q.waitFor(/process 'timer' exited with code 0/);
    expect(kernelPanics(q.output())).toEqual([]);
  });

  it('boots the complete image exactly as built', async () => {
    const img = kernelImage();
    q = bootQemu({ kernelElf: img.kernelElf, appsBin: img.appsBin });
    // Position-independent C apps and test-only apps are built beside the image (loaded where
    // a test puts them).
    const inImage = img.manifest.apps.filter((a) => a.inImage !== false).length;
    await q.waitFor(new RegExp(`${inImage} process\\(es\\) loaded`));
    await q.waitFor(/hello: Hello, World!/);
    await q.waitFor(/timer: tick 2 at/, 60_000);
    expect(kernelPanics(q.output())).toEqual([]);
  });

  it('writes image.hex holding the kernel and apps exactly as flashed, and it boots alone', async () => {
    const img = kernelImage();
    const hex = join(img.dir, 'image.hex');
    // binutils is the independent reader: the flat image it makes must hold the kernel's own
    // flat binary at 0 and apps.bin at the apps start.
    const dir = mkdtempSync(join(tmpdir(), 'capsule-image-'));
    try {
      const flat = join(dir, 'image.bin');
      const kernelFlat = join(dir, 'kernel.bin');
      expect(
        spawnSync('arm-none-eabi-objcopy', ['-I', 'ihex', '-O', 'binary', hex, flat]).status,
      ).toBe(0);
      expect(
        spawnSync('arm-none-eabi-objcopy', ['-O', 'binary', img.kernelElf, kernelFlat]).status,
      ).toBe(0);
      const image = readFileSync(flat);
      const kernel = readFileSync(kernelFlat);
      const apps = readFileSync(img.appsBin);
      expect(image.subarray(0, kernel.length).equals(kernel)).toBe(true);
      expect(image.subarray(img.manifest.appsStart).equals(apps)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    q = bootQemu({ extraArgs: ['-device', `loader,file=${hex}`] });
    await q.waitFor(/hello: Hello, World!/);
    expect(kernelPanics(q.output())).toEqual([]);
  });
});
