/**
 * Bad input on QEMU: corrupt (passed over, as Tock's loader does) and overlapping TBF headers,
 * an app asking for more RAM than is
 * left, invalid system-call arguments, an allow outside the process and an upcall to a bad
 * address. Each must produce a clear console message, affect only the guilty app, and never
 * panic the kernel. The images are built here from the real TBFs with our packer's helpers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  bootQemu,
  builtTbf,
  composeImage,
  editTbf,
  faultReports,
  kernelImage,
  kernelPanics,
  programTlvValueOffset,
  type QemuRun,
} from './qemu';

let q: QemuRun | undefined;
afterEach(async () => {
  await q?.stop();
  q = undefined;
});

async function boot(
  label: string,
  tbfs: { address: number; bytes: Uint8Array }[],
): Promise<QemuRun> {
  const img = kernelImage();
  q = bootQemu({
    kernelElf: img.kernelElf,
    appsBin: await composeImage(img.manifest, tbfs, label),
  });
  return q;
}

describe('bad input (mps2-an386)', () => {
  it('a corrupt TBF header is passed over with a message, as on Tock; the others run', async () => {
    const img = kernelImage();
    const rng = builtTbf(img.manifest, 'rng');
    // Flip a byte of the package name: the checksum no longer matches.
    const corrupt = editTbf(rng.bytes, (v) => v.setUint8(v.getUint16(2, true) - 1, 0x5a), true);
    const run = await boot('corrupt', [
      builtTbf(img.manifest, 'hello'),
      { address: rng.address, bytes: corrupt },
      builtTbf(img.manifest, 'timer'),
    ]);
    const m = await run.waitFor(/unusable TBF at (0x[0-9a-f]+): ([^\n]*); skipped\n/);
    expect(parseInt(m[1]!, 16)).toBe(rng.address);
    expect(m[2]).toMatch(/checksum/i);
    await run.waitFor(/2 process\(es\) loaded/);
    await run.waitFor(/hello: Hello, World!/);
    await run.waitFor(/timer: tick 1 at/, 30_000);
    expect(run.output()).not.toMatch(/rng:/);
    expect(kernelPanics(run.output())).toEqual([]);
  });

  it('a TBF whose size overlaps the next header stops discovery there', async () => {
    const img = kernelImage();
    const hello = builtTbf(img.manifest, 'hello');
    const rng = builtTbf(img.manifest, 'rng');
    // hello claims 0x6000 bytes: the walk lands in the middle of rng's binary.
    const longHello = editTbf(hello.bytes, (v) => v.setUint32(4, 0x6000, true));
    const run = await boot('overlap', [{ address: hello.address, bytes: longHello }, rng]);
    const m = await run.waitFor(/invalid TBF header at (0x[0-9a-f]+):/);
    expect(parseInt(m[1]!, 16)).toBe(hello.address + 0x6000);
    await run.waitFor(/hello: Hello, World!/);
    expect(kernelPanics(run.output())).toEqual([]);
  });

  it('two apps whose fixed RAM overlaps: the second is refused, the first runs', async () => {
    const img = kernelImage();
    const hello = builtTbf(img.manifest, 'hello');
    const timer = builtTbf(img.manifest, 'timer');
    const helloRam = img.manifest.apps.find((a) => a.name === 'hello')!.ram;
    const timerRam = img.manifest.apps.find((a) => a.name === 'timer')!.ram;
    // Point timer's FixedAddresses RAM at hello's block (it was linked elsewhere; the kernel
    // must refuse it on the overlap before it could ever run).
    const moved = editTbf(timer.bytes, (v) => {
      for (
        let at = 16;
        at < v.getUint16(2, true);
        at += 4 + ((v.getUint16(at + 2, true) + 3) & ~3)
      ) {
        if (v.getUint16(at, true) === 5) v.setUint32(at + 4, helloRam!, true);
      }
    });
    expect(timerRam).not.toBe(helloRam);
    const run = await boot('ram-overlap', [hello, { address: timer.address, bytes: moved }]);
    await run.waitFor(/app 'timer' RAM [^\n]* overlaps app 'hello'[^\n]*not loaded/);
    await run.waitFor(/hello: Hello, World!/);
    expect(run.output()).not.toMatch(/timer:/);
    expect(kernelPanics(run.output())).toEqual([]);
  });

  it('an app asking for more RAM than is left is refused; the others run', async () => {
    const img = kernelImage();
    const timer = builtTbf(img.manifest, 'timer');
    const greedy = editTbf(timer.bytes, (v) =>
      v.setUint32(programTlvValueOffset(timer.bytes) + 8, 0x30000, true),
    );
    const run = await boot('greedy', [
      builtTbf(img.manifest, 'hello'),
      { address: timer.address, bytes: greedy },
    ]);
    await run.waitFor(
      /app 'timer' asks for \d+ bytes of RAM[^\n]*only \d+ bytes are left[^\n]*not loaded/,
    );
    await run.waitFor(/hello: Hello, World!/);
    expect(run.output()).not.toMatch(/timer:/);
    expect(kernelPanics(run.output())).toEqual([]);
  });

  it('invalid calls fail with the right error codes and a console message; a bad upcall is refused', async () => {
    const img = kernelImage();
    const run = await boot(
      'badcalls',
      ['timer', 'badcalls'].map((n) => builtTbf(img.manifest, n)),
    );
    await run.waitFor(/badcalls: allow of kernel RAM 0x20000000 -> INVALID/, 30_000);
    expect(run.output()).toMatch(
      /process 'badcalls'[^\n]*allow of buffer 0x20000000\+64[^\n]*outside the process/,
    );
    await run.waitFor(/badcalls: allow past the end of process RAM -> INVALID/);
    await run.waitFor(/badcalls: command to driver 0xdead -> NODEVICE/);
    await run.waitFor(/badcalls: memop 99 -> NOSUPPORT/);
    await run.waitFor(/badcalls: brk to 0x20000000 -> NOMEM/);
    await run.waitFor(/badcalls: subscribe with an upcall at 0x00000100 -> INVALID/);
    expect(run.output()).toMatch(/process 'badcalls'[^\n]*bad upcall address 0x00000100/);
    await run.waitFor(/badcalls: done/);
    expect(run.output()).not.toMatch(/accepted \(ERROR\)/);
    // Only badcalls saw errors: the timer app next to it runs to the end untouched.
    await run.waitFor(/timer: done/, 60_000);
    expect(faultReports(run.output())).toEqual([]);
    expect(kernelPanics(run.output())).toEqual([]);
  });
});
