import { describe, expect, it } from 'vitest';
import { runDwarfCli } from './dwarf-cli';
import { mixedElf } from '../formats/dwarf/fixtures/mixed';

const files: Record<string, Uint8Array> = {
  'mixed.elf': mixedElf(),
  'junk.bin': new Uint8Array([1, 2, 3, 4]),
};
const read = (p: string): Uint8Array => {
  const f = files[p];
  if (!f) throw new Error('ENOENT: no such file');
  return f;
};
const run = (...argv: string[]) => runDwarfCli(argv, read);

describe('npm run dwarf', () => {
  it('lines: an address, a file:line and the whole table (text and JSON)', () => {
    expect(run('lines', 'mixed.elf', '0x1038')).toMatchObject({
      code: 0,
      out: '0x00001038 /fixture/v5.c:36:3\n',
    });
    expect(run('lines', 'mixed.elf', 'v5.c:33').out).toMatch(
      /v5\.c:34 \(line 33 has no code\): 0x00001030/,
    );
    const all = JSON.parse(run('lines', 'mixed.elf', '--json').out) as unknown[];
    expect(all.length).toBe(116);
  });

  it('functions, frame, locals and types', () => {
    expect(run('functions', 'mixed.elf').out).toMatch(
      /0x00001030 0x00001030-0x0000111e accumulate \(\/fixture\/v5\.c:34\)/,
    );
    expect(run('frame', 'mixed.elf', '0x1040').out).toMatch(
      /^CFA = r7\+8; return address in lr\n {2}r4 = \[CFA-20\]\n(.*\n)* {2}lr = \[CFA-4\]\n#0 accumulate at \/fixture\/v5\.c:36\n$/,
    );
    const locals = JSON.parse(run('locals', 'mixed.elf', '0x1040', '--json').out) as {
      name: string;
      location: string;
    }[];
    expect(locals.map((l) => l.name)).toEqual(expect.arrayContaining(['values', 'n', 'total']));
    expect(run('types', 'mixed.elf', 'flags').out).toBe(
      'flags: struct, 4 bytes\n  +0 bits 0..0 ready: unsigned int\n  +0 bits 1..3 mode: unsigned int\n  +0 bits 4..15 count: unsigned int\n',
    );
  });

  it('bad input: usage, missing files, not an ELF, nothing found', () => {
    expect(run('frobnicate', 'mixed.elf')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^usage:/),
    });
    expect(run('frame', 'mixed.elf')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/needs an ADDRESS/),
    });
    expect(run('lines', 'missing.elf')).toMatchObject({
      code: 1,
      err: 'missing.elf: ENOENT: no such file',
    });
    expect(run('lines', 'junk.bin')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/not an ELF file/),
    });
    expect(run('functions', 'mixed.elf', '0x9000')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/0x00009000 is in no function/),
    });
    expect(run('types', 'mixed.elf', 'nope')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/no type named nope/),
    });
  });
});
