/**
 * TAB files (emulator/formats/tab.ts; here because it runs GNU tar and Python): what buildTab writes, GNU tar and Python's tarfile (tockloader's reader) read back
 * with the same members and bytes; parseTab reads a TAB that GNU tar wrote (as elf2tab's
 * output is a plain tar), picks TBFs by architecture and fixed address, and refuses files that
 * are not TABs with a message naming the problem.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildTab,
  isTab,
  parseFlatToml,
  parseTab,
  tabTbfName,
  tbfFromTab,
} from '../../emulator/formats/tab';
import { buildTbfHeader } from '../../emulator/formats/tbf';

const dir = mkdtempSync(join(tmpdir(), 'capsule-tab-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tbf(name: string, size = 0x200): Uint8Array {
  const out = new Uint8Array(size);
  out.set(buildTbfHeader({ totalSize: size, packageName: name }));
  out[size - 1] = 0x5a;
  return out;
}

describe('TAB', () => {
  it('writes a tar that GNU tar and Python tarfile read back member for member', () => {
    const a = tbf('blink');
    const b = tbf('blink', 0x400);
    const tab = buildTab({
      name: 'blink',
      tbfs: [
        { arch: 'cortex-m4', bytes: a },
        { arch: 'cortex-m4', fixed: { flash: 0x40080, ram: 0x20008000 }, bytes: b },
      ],
      minimumKernelVersion: { major: 2, minor: 1 },
    });
    expect(isTab(tab)).toBe(true);
    const file = join(dir, 'blink.tab');
    writeFileSync(file, tab);
    const list = spawnSync('tar', ['-tf', file], { encoding: 'utf8' });
    expect(list.status).toBe(0);
    expect(list.stdout.trim().split('\n')).toEqual([
      'metadata.toml',
      'cortex-m4.tbf',
      'cortex-m4.0x00040080.0x20008000.tbf',
    ]);
    const meta = spawnSync('tar', ['-xOf', file, 'metadata.toml'], { encoding: 'utf8' }).stdout;
    expect(meta).toContain('tab-version = 1\n');
    expect(meta).toContain('name = "blink"\n');
    expect(meta).toContain('minimum-tock-kernel-version = "2.1"\n');
    const py = spawnSync(
      'python3',
      [
        '-c',
        'import sys,tarfile;t=tarfile.open(sys.argv[1]);print(",".join("%s:%d"%(m.name,m.size) for m in t.getmembers()))',
        file,
      ],
      { encoding: 'utf8' },
    );
    if (py.error === undefined)
      expect(py.stdout.trim()).toBe(
        `metadata.toml:${meta.length},cortex-m4.tbf:512,cortex-m4.0x00040080.0x20008000.tbf:1024`,
      );
    const r = parseTab(tab);
    if (!r.ok) throw new Error(r.error);
    expect(r.value.name).toBe('blink');
    expect(r.value.metadata['tab-version']).toBe(1);
    expect(r.value.tbfs.map((t) => [t.filename, t.arch, t.flash, t.ram])).toEqual([
      ['cortex-m4.tbf', 'cortex-m4', undefined, undefined],
      ['cortex-m4.0x00040080.0x20008000.tbf', 'cortex-m4', 0x40080, 0x20008000],
    ]);
    expect(r.value.tbfs[1]!.bytes).toEqual(b);
    expect(tbfFromTab(r.value, 'cortex-m4')).toMatchObject({ ok: true, value: { bytes: a } });
    expect(tbfFromTab(r.value, 'cortex-m0')).toEqual({
      ok: false,
      error: "TAB 'blink' has no TBF for cortex-m0 (it has: cortex-m4)",
    });
  });

  it('reads a TAB GNU tar wrote, as elf2tab output is', () => {
    const sub = mkdtempSync(join(dir, 'gnu-'));
    writeFileSync(
      join(sub, 'metadata.toml'),
      'tab-version = 1\nname = "hello"\nbuild-date = 2024-01-01T00:00:00Z\n',
    );
    writeFileSync(join(sub, 'cortex-m4.tbf'), tbf('hello'));
    const file = join(dir, 'hello.tab');
    expect(
      spawnSync('tar', ['--format=ustar', '-cf', file, '-C', sub, 'metadata.toml', 'cortex-m4.tbf'])
        .status,
    ).toBe(0);
    const r = parseTab(new Uint8Array(readFileSync(file)));
    if (!r.ok) throw new Error(r.error);
    expect(r.value.metadata['build-date']).toBe('2024-01-01T00:00:00Z');
    expect(r.value.tbfs.map((t) => t.filename)).toEqual(['cortex-m4.tbf']);
  });

  it('refuses what is not a TAB, naming the problem', () => {
    expect(parseTab(new Uint8Array(1024).fill(7))).toEqual({
      ok: false,
      error: 'not a TAB: no valid tar header at byte 0',
    });
    const noMeta = buildTab({ name: 'x', tbfs: [{ arch: 'cortex-m4', bytes: tbf('x') }] });
    // Rename metadata.toml to something else (and fix the header checksum) to drop it.
    const renamed = noMeta.slice();
    renamed.set(new TextEncoder().encode('metadata.txt'), 0);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : renamed[i]!;
    renamed.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    expect(parseTab(renamed)).toEqual({ ok: false, error: 'not a TAB: it has no metadata.toml' });
    const long = tbf('y');
    new DataView(long.buffer).setUint32(4, 16, true); // total size smaller than the file
    const tooLong = buildTab({ name: 'y', tbfs: [{ arch: 'cortex-m4', bytes: long }] });
    const r = parseTab(tooLong);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/longer than the TBF's total size 16/);
    expect(parseFlatToml('name = "a\\"b"\nn = 3\n')).toEqual({
      ok: true,
      value: { name: 'a"b', n: 3 },
    });
    expect(parseFlatToml('[table]')).toMatchObject({ ok: false });
    expect(tabTbfName('cortex-m4', { flash: 0x48080, ram: 0x2000c000 })).toBe(
      'cortex-m4.0x00048080.0x2000c000.tbf',
    );
  });
});
