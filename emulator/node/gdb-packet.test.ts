/** Tests for GDB packet framing: checksums, escapes, run-length decoding, stream splitting. */
import { describe, expect, it } from 'vitest';
import {
  checksum,
  decodeBody,
  encodePacket,
  PacketParser,
  type FramingEvent,
  hexToLeWord,
  leWordToHex,
} from './gdb-packet';

describe('gdb packet framing', () => {
  it('encodes with checksum and escapes', () => {
    expect(encodePacket('g')).toBe('$g#67');
    expect(checksum('OK')).toBe(0x9a);
    expect(encodePacket('a#b')).toBe(
      '$a}\x03b#' + checksum('a}\x03b').toString(16).padStart(2, '0'),
    );
  });

  it('decodes escapes and run-length encoding', () => {
    expect(decodeBody('0* ')).toBe('0'.repeat(4));
    expect(decodeBody('a}]b')).toBe('a}b');
  });

  it('splits a byte stream into acks and packets and flags bad checksums', () => {
    const events: FramingEvent[] = [];
    const p = new PacketParser((e) => events.push(e));
    const full = '+' + encodePacket('OK') + '$T05#00' + encodePacket('a}b');
    p.push(full.slice(0, 5));
    p.push(full.slice(5));
    expect(events).toEqual([
      { kind: 'ack' },
      { kind: 'packet', payload: 'OK' },
      { kind: 'bad-checksum', body: 'T05' },
      { kind: 'packet', payload: 'a}b' },
    ]);
  });

  it('converts little-endian register words', () => {
    expect(leWordToHex(0x12345678)).toBe('78563412');
    expect(hexToLeWord('78563412')).toBe(0x12345678);
  });
});
