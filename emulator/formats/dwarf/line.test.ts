import { describe, expect, it } from 'vitest';
import { LineIndex, readLineProgram } from './line';

/** A DWARF 4 line program: header with one directory and two files, then `program`. */
function program(body: number[]): Uint8Array {
  const header = [
    1, // min_inst_length
    1, // max ops
    1, // default_is_stmt
    0xfb, // line_base -5
    14, // line_range
    13, // opcode_base
    0,
    1,
    1,
    1,
    1,
    0,
    0,
    0,
    1,
    0,
    0,
    1, // standard opcode lengths
    ...new TextEncoder().encode('src\0'),
    0,
    ...new TextEncoder().encode('a.rs\0'),
    1,
    0,
    0,
    ...new TextEncoder().encode('b.rs\0'),
    1,
    0,
    0,
    0,
  ];
  const afterLength = [4, 0, header.length & 0xff, header.length >> 8, 0, 0, ...header, ...body];
  const len = afterLength.length;
  return new Uint8Array([len & 0xff, (len >> 8) & 0xff, 0, 0, ...afterLength]);
}

const setAddress = (a: number): number[] => [0, 5, 2, a & 0xff, (a >> 8) & 0xff, 0, 0];
const endSequence = [0, 1, 1];

// 0x1000 line 10 (stmt); 0x1004 line 0; 0x1008 line 12 not-stmt then stmt at the same address;
// 0x100c b.rs line 3; end at 0x1010.
const bytes = program([
  ...setAddress(0x1000),
  3,
  9,
  1,
  2,
  4,
  3,
  0x76,
  1, // advance_pc 4, advance_line -10 -> 0, copy
  2,
  4,
  3,
  12,
  6,
  1,
  6,
  1, // advance_pc 4, line 12, negate_stmt, copy, negate_stmt, copy
  4,
  2,
  2,
  4,
  3,
  0x77,
  1, // set_file 2, advance_pc 4, line 12-9=3, copy
  2,
  4,
  ...endSequence,
]);

describe('line programs', () => {
  const table = readLineProgram({ line: bytes }, 0, '/work', 'a.rs', 4);

  it('runs the state machine and resolves file paths against the directories', () => {
    expect(table.files.map((f) => f?.path)).toEqual([
      '/work/a.rs',
      '/work/src/a.rs',
      '/work/src/b.rs',
    ]);
    expect(table.rows.map((r) => [r.address, r.file, r.line, r.isStmt, r.endSequence])).toEqual([
      [0x1000, 1, 10, true, false],
      [0x1004, 1, 0, true, false],
      [0x1008, 1, 12, false, false],
      [0x1008, 1, 12, true, false],
      [0x100c, 2, 3, true, false],
      [0x1010, 2, 3, true, true],
    ]);
  });

  it('looks addresses up: line 0 belongs to the line before, is_stmt wins at one address', () => {
    const index = new LineIndex([table]);
    expect(index.lookup(0x1002)).toMatchObject({ file: '/work/src/a.rs', line: 10 });
    expect(index.lookup(0x1006)).toMatchObject({ line: 10 });
    expect(index.lookup(0x1008)).toMatchObject({ line: 12, isStmt: true });
    expect(index.lookup(0x100c)).toMatchObject({ file: '/work/src/b.rs', line: 3, end: 0x1010 });
    expect(index.lookup(0x1010)).toBeUndefined();
    expect(index.lookup(0xfff)).toBeUndefined();
  });

  it("lists the files of a range's rows: the row covering its start, none at or past its end", () => {
    const index = new LineIndex([table]);
    expect(index.filesIn(0x1000, 0x1010)).toEqual(['/work/src/a.rs', '/work/src/b.rs']);
    // 0x1002 is inside the row of 0x1000 (a.rs); 0x100c (b.rs) is the end.
    expect(index.filesIn(0x1002, 0x100c)).toEqual(['/work/src/a.rs']);
    expect(index.filesIn(0x100c, 0x100e)).toEqual(['/work/src/b.rs']);
    expect(index.filesIn(0x1010, 0x2000)).toEqual([]);
    expect(index.filesIn(0x800, 0x1000)).toEqual([]);
  });

  it('finds the addresses of a line, or of the next line that has code', () => {
    const index = new LineIndex([table]);
    expect(index.addressesFor('src/a.rs', 12)).toEqual({
      file: '/work/src/a.rs',
      line: 12,
      addresses: [0x1008],
    });
    expect(index.addressesFor('a.rs', 11)).toMatchObject({ line: 12 });
    expect(index.addressesFor('a.rs', 11, true)).toBeUndefined();
    expect(index.addressesFor('b.rs', 3)?.addresses).toEqual([0x100c]);
  });

  it('refuses a header that lies about its length', () => {
    const bad = bytes.slice();
    bad[0] = 0xff;
    bad[1] = 0xff;
    expect(() => readLineProgram({ line: bad }, 0, '/', 'a', 4)).toThrow(
      /\.debug_line at 0x4: line program length/,
    );
  });
});
