// The hex view: offsets, two groups of eight bytes, printable ASCII; a short last line padded.
import { describe, expect, it } from 'vitest';
import { hexDump } from './hexdump';

describe('hexDump', () => {
  it('prints 16 bytes a line as hexdump -C does', () => {
    const bytes = Uint8Array.from(
      [...'TOCK kernel!', 0, 1, 0xff, 0x7f, 0x41, 0x42].map((c) =>
        typeof c === 'string' ? c.charCodeAt(0) : c,
      ),
    );
    expect(hexDump(bytes)).toBe(
      '00000000  54 4f 43 4b 20 6b 65 72  6e 65 6c 21 00 01 ff 7f  |TOCK kernel!....|\n' +
        '00000010  41 42                                             |AB|\n',
    );
    expect(hexDump(new Uint8Array(0))).toBe('\n');
  });
});
