// The Rust demangler against independent demanglers: every legacy-mangled symbol of the kernel
// and app ELFs against GDB's (`demangle -l rust`, which keeps the hash; compared without it),
// and every v0 symbol of a Rust object compiled here (fixtures/v0-symbols.rs: generics, const
// generics, closures, shims, trait objects, higher-ranked types, punycode, back-references)
// against llvm-cxxfilt-14.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demangle } from '../../emulator/formats/dwarf';
import { allImages } from './images';

function nm(file: string): string[] {
  const r = spawnSync('arm-none-eabi-nm', [file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nm ${file}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ').pop()!)
    .filter((s) => s.startsWith('_ZN') || s.startsWith('_R'));
}

describe('Rust demangling', () => {
  it('legacy symbols of the kernel and apps equal GDB', () => {
    const symbols = [
      ...new Set(
        allImages()
          .filter((i) => !i.label.startsWith('C '))
          .flatMap((i) => nm(i.path)),
      ),
    ];
    expect(symbols.length).toBeGreaterThan(200);
    const script = join(mkdtempSync(join(tmpdir(), 'demangle-')), 'script.gdb');
    writeFileSync(script, `${symbols.map((s) => `demangle -l rust ${s}`).join('\n')}\n`);
    const r = spawnSync(
      'gdb-multiarch',
      ['-nx', '-batch', '-ex', 'set pagination off', '-x', script],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      },
    );
    const theirs = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.replace(/::h[0-9a-f]{16}$/, ''));
    expect(theirs).toHaveLength(symbols.length);
    const bad = symbols.map((s, i) => [s, demangle(s), theirs[i]]).filter(([, a, b]) => a !== b);

    console.log(
      `legacy demangling: ${symbols.length} symbols compared with gdb-multiarch; mismatches: ${bad.length}`,
    );
    expect(bad).toEqual([]);
  });

  it('v0 symbols equal llvm-cxxfilt-14', () => {
    const dir = mkdtempSync(join(tmpdir(), 'v0-'));
    const obj = join(dir, 'v0.o');
    const src = join(__dirname, 'fixtures', 'v0-symbols.rs');
    const c = spawnSync(
      '/usr/bin/rustc',
      [
        '--crate-type',
        'lib',
        '-C',
        'symbol-mangling-version=v0',
        '-C',
        'opt-level=1',
        '--emit',
        'obj',
        '-o',
        obj,
        src,
      ],
      { encoding: 'utf8' },
    );
    if (c.status !== 0) throw new Error(`rustc: ${c.stderr}`);
    const r = spawnSync('nm', [obj], { encoding: 'utf8' });
    const symbols = r.stdout
      .split('\n')
      .map((l) => l.split(' ').pop()!)
      .filter((s) => s.startsWith('_R'));
    expect(symbols.length).toBeGreaterThan(20);
    const theirs = spawnSync('llvm-cxxfilt-14', [], { input: symbols.join('\n'), encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    const bad = symbols.map((s, i) => [s, demangle(s), theirs[i]]).filter(([, a, b]) => a !== b);

    console.log(
      `v0 demangling: ${symbols.length} symbols compared with llvm-cxxfilt-14; mismatches: ${bad.length}`,
    );
    expect(bad).toEqual([]);
  });
});
