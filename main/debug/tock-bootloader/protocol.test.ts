import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  COMMAND,
  CommandDecoder,
  ESCAPE,
  PAGE_SIZE,
  RESPONSE,
  ResponseReader,
  crc32,
  decodeAttribute,
  decodeFlags,
  decodeInfo,
  encodeAttributeRecord,
  encodeCommand,
  encodeInfo,
  encodeResponse,
  escape,
  readRangeArgs,
  setAttributeArgs,
  writePageArgs,
} from './protocol';

describe('framing', () => {
  it('doubles the escape byte in payloads and ends a command with FC and its code', () => {
    expect([...escape(Uint8Array.of(1, 0xfc, 2))]).toEqual([1, 0xfc, 0xfc, 2]);
    expect([...encodeCommand(COMMAND.ping)]).toEqual([0xfc, 0x01]);
    expect([
      ...encodeCommand(COMMAND.erasePage, Uint8Array.of(0, 0xfc, 4, 0), { sync: true }),
    ]).toEqual([0x00, 0xfc, 0x05, 0, 0xfc, 0xfc, 4, 0, 0xfc, 0x06]);
    expect([...readRangeArgs(0x40000, 4095)]).toEqual([0, 0, 4, 0, 0xff, 0x0f]);
  });

  it('reads a response split across chunks, with escapes split between them', () => {
    const r = new ResponseReader(RESPONSE.readRange, 4);
    expect(r.push(Uint8Array.of(0x41, 0x42, ESCAPE))).toEqual({ state: 'waiting' }); // stray console text
    expect(r.push(Uint8Array.of(RESPONSE.readRange, 1, ESCAPE))).toEqual({ state: 'waiting' });
    const done = r.push(Uint8Array.of(ESCAPE, 3, 4, 9));
    expect(done.state).toBe('done');
    if (done.state === 'done') {
      expect([...done.payload]).toEqual([1, 0xfc, 3, 4]);
      expect([...done.rest]).toEqual([9]);
    }
  });

  it('reports another response code (an error answer) and a lone escape in a payload', () => {
    expect(
      new ResponseReader(RESPONSE.ok, 0).push(encodeResponse(RESPONSE.badAddress)),
    ).toMatchObject({
      state: 'other',
      code: RESPONSE.badAddress,
    });
    expect(
      new ResponseReader(RESPONSE.readRange, 2).push(Uint8Array.of(0xfc, 0x20, 0xfc, 0x01)),
    ).toMatchObject({
      state: 'malformed',
    });
  });

  it('decodes what it encodes on the board side, and only with the right argument lengths', () => {
    const d = new CommandDecoder();
    const page = new Uint8Array(PAGE_SIZE).map((_, i) => (i * 7) & 0xff); // holds 0xFC bytes
    const got = [...encodeCommand(COMMAND.writePage, writePageArgs(0x41200, page), { sync: true })]
      .map((b) => d.receive(b))
      .filter((c) => c !== null);
    expect(got.map((c) => c!.kind)).toEqual(['reset', 'write-page']);
    const w = got[1]!;
    expect(w.kind === 'write-page' && w.address).toBe(0x41200);
    expect(w.kind === 'write-page' && [...w.data]).toEqual([...page]);
    const bad = [...encodeCommand(COMMAND.writePage, Uint8Array.of(1, 2, 3))].map((b) =>
      d.receive(b),
    );
    expect(bad.at(-1)).toEqual({ kind: 'bad-arguments', command: COMMAND.writePage });
    const attr = setAttributeArgs(3, 'board', new TextEncoder().encode('nrf52840dk'));
    expect(attr.ok).toBe(true);
    if (attr.ok) {
      const c = [...encodeCommand(COMMAND.setAttribute, attr.value)]
        .map((b) => d.receive(b))
        .at(-1);
      expect(c).toMatchObject({ kind: 'set-attribute', index: 3 });
    }
    expect([...encodeCommand(0x09)].map((b) => d.receive(b)).at(-1)).toEqual({
      kind: 'unknown',
      command: 9,
    });
    const flood = new CommandDecoder(8);
    expect(
      [...encodeCommand(COMMAND.erasePage, new Uint8Array(20))].map((b) => flood.receive(b)).at(-1),
    ).toEqual({
      kind: 'overflow',
      command: COMMAND.erasePage,
    });
  });

  it('refuses attribute keys and values outside the protocol limits', () => {
    expect(setAttributeArgs(16, 'k', Uint8Array.of(1)).ok).toBe(false);
    expect(setAttributeArgs(0, 'toolongkey', Uint8Array.of(1)).ok).toBe(false);
    expect(setAttributeArgs(0, 'k', new Uint8Array(56)).ok).toBe(false);
    expect(setAttributeArgs(0, 'k', new Uint8Array(0)).ok).toBe(false);
  });
});

describe('CRC-32', () => {
  it("is zlib's crc32 (what tockloader computes with crcmod 0x104C11DB7, xorOut 0xFFFFFFFF)", () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const data = new Uint8Array(10_000).map((_, i) => (i * 31 + 7) & 0xff);
    expect(crc32(data)).toBe(zlibCrc32(data) >>> 0);
    expect(crc32(data.subarray(5000), crc32(data.subarray(0, 5000)))).toBe(crc32(data));
  });
});

describe('attributes, INFO and flags', () => {
  it('round-trips an attribute record and treats erased or zero records as empty', () => {
    const rec = encodeAttributeRecord('appaddr', new TextEncoder().encode('0x40000'));
    expect(decodeAttribute(2, rec)).toMatchObject({ index: 2, key: 'appaddr', value: '0x40000' });
    expect(decodeAttribute(0, new Uint8Array(64).fill(0xff))).toBeNull();
    expect(decodeAttribute(0, new Uint8Array(64))).toBeNull();
  });

  it('reads a record as tockloader does: UTF-8, exactly length bytes, key padding stripped', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    // A UTF-8 value (tockloader decodes UTF-8; read byte by byte it would be "Ã‚Âµs").
    expect(decodeAttribute(1, encodeAttributeRecord('unit', enc('µs')))).toMatchObject({
      key: 'unit',
      value: 'µs',
    });
    // The value is `length` bytes, a NUL inside included; what follows is not read.
    const rec = encodeAttributeRecord('k', Uint8Array.of(0x61, 0, 0x62));
    rec[9 + 3] = 0x7a;
    expect(decodeAttribute(0, rec)).toMatchObject({ key: 'k', value: 'a\0b' });
    // Zero padding is stripped from both ends of the key.
    const padded = encodeAttributeRecord('board', enc('dk'));
    padded.copyWithin(1, 0, 7);
    padded[0] = 0;
    expect(decodeAttribute(0, padded)).toMatchObject({ key: 'board', value: 'dk' });
    // A key that is not UTF-8 (erased 0xFF) or a length over 55: an empty slot.
    const erasedKey = encodeAttributeRecord('x', enc('v'));
    erasedKey.fill(0xff, 0, 8);
    expect(decodeAttribute(0, erasedKey)).toBeNull();
    const long = encodeAttributeRecord('x', enc('v'));
    long[8] = 56;
    expect(decodeAttribute(0, long)).toBeNull();
  });

  it('reads the INFO JSON with the start address', () => {
    const info = decodeInfo(encodeInfo('1.1.0', 0x8000));
    expect(info).toEqual({
      ok: true,
      value: expect.objectContaining({
        version: '1.1.0',
        startAddress: 0x8000,
        name: 'Tock Bootloader',
      }),
    });
    // Older bootloaders leave the start address out.
    const old = new TextEncoder().encode('{"version":"1.0.0", "name":"Tock Bootloader"}');
    const payload = new Uint8Array(193);
    payload[0] = old.length;
    payload.set(old, 1);
    expect(decodeInfo(payload)).toMatchObject({
      ok: true,
      value: { version: '1.0.0', startAddress: null },
    });
    expect(decodeInfo(new Uint8Array(193)).ok).toBe(false);
    // The JSON is UTF-8 text of exactly the length byte's bytes.
    const named = new TextEncoder().encode('{"version":"1.1.0", "name":"Tock Bootloader µ"}');
    const p2 = new Uint8Array(193);
    p2[0] = named.length;
    p2.set(named, 1);
    expect(decodeInfo(p2)).toMatchObject({ ok: true, value: { name: 'Tock Bootloader µ' } });
  });

  it('finds the flags block only behind its magic', () => {
    const block = new Uint8Array(64);
    block.set(new TextEncoder().encode('TOCKBOOTLOADER1.2.3'));
    new DataView(block.buffer).setUint32(32, 0x8000, true);
    expect(decodeFlags(block)).toEqual({ version: '1.2.3', startAddress: 0x8000 });
    expect(decodeFlags(new Uint8Array(64).fill(0xff))).toBeNull();
  });
});
