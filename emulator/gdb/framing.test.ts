/** Tests for GDB packet framing: checksums, escapes, run-length decoding, stream splitting. */
import { describe, expect, it } from 'vitest';
import {
  binaryToBytes,
  bytesToBinary,
  checksum,
  decodeBody,
  encodePacket,
  hexToLeWord,
  hexToText,
  leWordToHex,
  PacketParser,
  textToHex,
  type FramingEvent,
} from './framing';

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
    // A run marker with nothing before it, or a truncated escape, is kept harmless.
    expect(decodeBody('*')).toBe('*');
    expect(decodeBody('ab}')).toBe('ab');
  });

  it('splits a byte stream into acks, interrupts and packets and flags bad checksums', () => {
    const events: FramingEvent[] = [];
    const p = new PacketParser((e) => events.push(e));
    const full = '+' + encodePacket('OK') + '$T05#00' + encodePacket('a}b') + '\x03-';
    p.push(full.slice(0, 5));
    p.push(full.slice(5, 9));
    p.push(full.slice(9));
    expect(events).toEqual([
      { kind: 'ack' },
      { kind: 'packet', payload: 'OK' },
      { kind: 'bad-checksum', body: 'T05' },
      { kind: 'packet', payload: 'a}b' },
      { kind: 'interrupt' },
      { kind: 'nak' },
    ]);
  });

  it('skips noise between packets', () => {
    const events: FramingEvent[] = [];
    const p = new PacketParser((e) => events.push(e));
    p.push('\r\n%Stop:T05#xx' + encodePacket('OK'));
    expect(events.at(-1)).toEqual({ kind: 'packet', payload: 'OK' });
  });

  it('round-trips binary payloads through escapes', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const events: FramingEvent[] = [];
    new PacketParser((e) => events.push(e)).push(encodePacket(`X0,100:${bytesToBinary(bytes)}`));
    const e = events[0]!;
    expect(e.kind).toBe('packet');
    if (e.kind === 'packet') expect(binaryToBytes(e.payload.slice(7))).toEqual(bytes);
  });

  it('converts little-endian register words and hex text', () => {
    expect(leWordToHex(0x12345678)).toBe('78563412');
    expect(hexToLeWord('78563412')).toBe(0x12345678);
    expect(hexToText(textToHex('info µ'))).toBe('info µ');
  });
});
