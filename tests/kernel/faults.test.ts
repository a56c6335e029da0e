/**
 * Faulting apps, on mps2-an386 under QEMU and on the emulated nRF52840-DK (same assertions): a
 * write into kernel RAM, a stack overflow and a read of another process's RAM each produce a
 * fault report naming the process and the address, the process's fault policy is applied (the
 * report says which), and the timer app keeps ticking throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bootBoard,
  builtTbf,
  composeImage,
  faultReports,
  kernelImage,
  kernelPanics,
  linesWith,
  type QemuRun,
} from './qemu';

for (const board of ['mps2-an386', 'nrf52840dk']) {
  describe(`process faults (${board})`, () => {
    let q: QemuRun;
    let ram: Record<string, number> = {};

    beforeAll(async () => {
      const img = kernelImage(board);
      ram = Object.fromEntries(img.manifest.apps.map((a) => [a.name, a.ram ?? 0]));
      const names = ['hello', 'timer', 'fault_kernel', 'fault_stack', 'peek'];
      const appsBin = await composeImage(
        img.manifest,
        names.map((n) => builtTbf(img.manifest, n)),
        `faults-${board}`,
      );
      q = bootBoard(board, { kernelElf: img.kernelElf, appsBin });
      await q.waitFor(/5 process\(es\) loaded/);
      // All three faults happen within the first second of virtual time.
      await q.waitFor(/process fault: 'peek'[^\n]*\n/, 60_000);
      await q.waitFor(/process fault: 'fault_stack'[^\n]*\n/, 60_000);
      await q.waitFor(/process fault: 'fault_kernel'[^\n]*\n/, 60_000);
    });

    afterAll(async () => {
      await q?.stop();
    });

    function policyLine(name: string): Promise<RegExpMatchArray> {
      return q.waitFor(new RegExp(`process '${name}' (restarted|stopped)[^\\n]*\\n`), 30_000);
    }

    it('reports a write into kernel memory with the process and the address', async () => {
      const report = faultReports(q.output()).find((r) => r.name === 'fault_kernel');
      expect(report?.address, report?.line).toBe(0x20000000);
      expect(report?.line).toMatch(/memory protection violation/);
      await policyLine('fault_kernel');
    });

    it("follows the report with Tock's Cortex-M fault status block", () => {
      const out = q.output();
      const at = out.indexOf("process fault: 'fault_kernel'");
      const block = out.slice(out.indexOf('---| Cortex-M Fault Status |---', at));
      // Tock's labels and layout (arch/cortex-m print_cortexm_state): a line per set bit, the
      // valid address, then CFSR and HFSR.
      expect(block).toMatch(
        /^---\| Cortex-M Fault Status \|---\nData Access Violation: {14}true\n(?:.*\n)*?Faulting Memory Address: {12}0x20000000\nFault Status Register \(CFSR\): {7}0x[0-9A-F]{8}\nHard Fault Status Register \(HFSR\): {2}0x[0-9A-F]{8}\n/,
      );
    });

    it('reports a stack overflow below the process memory', async () => {
      const report = faultReports(q.output()).find((r) => r.name === 'fault_stack');
      expect(report, linesWith(q.output(), 'fault_stack').join('\n')).toBeDefined();
      expect(report!.address).toBeDefined();
      expect(report!.address!).toBeLessThan(ram.fault_stack!);
      expect(report!.address!).toBeGreaterThanOrEqual(ram.fault_stack! - 0x100);
      await policyLine('fault_stack');
    });

    it('reports a read of another process memory, naming the reader and the address', async () => {
      const report = faultReports(q.output()).find((r) => r.name === 'peek');
      expect(report?.address, report?.line).toBe(ram.hello);
      const policy = await policyLine('peek');
      if (policy[1] === 'restarted') {
        // Restarted: it runs again from its entry and faults the same way.
        const from = q.output().indexOf(policy[0]);
        await q.waitFor(/peek: reading another process's RAM/, 30_000, from);
      }
    });

    it('keeps the other processes running', async () => {
      const output = q.output();
      const lastFault = Math.max(
        ...['fault_kernel', 'fault_stack', 'peek'].map((n) =>
          output.indexOf(`process fault: '${n}'`),
        ),
      );
      const before = Number(/timer: tick (\d+)/.exec(output.slice(lastFault))?.[1] ?? 0);
      const m = await q.waitFor(/timer: tick (\d+) at/, 30_000, lastFault);
      expect(Number(m[1])).toBeGreaterThanOrEqual(before);
      await q.waitFor(/timer: done/, 60_000, lastFault);
      expect(linesWith(q.output(), 'ERROR')).toEqual([]);
      expect(kernelPanics(q.output())).toEqual([]);
      expect(faultReports(q.output()).filter((r) => ['hello', 'timer'].includes(r.name))).toEqual(
        [],
      );
    });
  });
}
