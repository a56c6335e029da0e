// The client against a scripted link: what a slow board's answers look like when they arrive
// late. A PONG that answers a PING the client already gave up on comes before the next
// command's answer and must not be taken for it; any other unexpected answer is an error.
import { describe, expect, it } from 'vitest';
import { ok } from '../../../emulator/core/result';
import { BootloaderClient, type SerialLink } from './client';
import { encodeInfo, encodeResponse, RESPONSE } from './protocol';

/** A link that hands out `chunks` one per read, whatever was written. */
function scripted(chunks: Uint8Array[]): SerialLink & { written: number } {
  return {
    label: '/dev/scripted',
    written: 0,
    async write() {
      this.written++;
      return ok(undefined);
    },
    async read() {
      return ok(chunks.shift() ?? new Uint8Array(0));
    },
    discardInput() {},
    async setBaudRate() {
      return ok(undefined);
    },
    async setSignals() {
      return ok(undefined);
    },
    sleep: async () => {},
  };
}

const join = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

describe('BootloaderClient', () => {
  it("skips a late PONG before a command's answer, in the same chunk or its own", async () => {
    const info = encodeResponse(RESPONSE.info, encodeInfo('1.1.0', 0x8000));
    const pong = encodeResponse(RESPONSE.pong);
    for (const chunks of [[join(pong, info)], [pong, info], [join(pong, pong), info]]) {
      const link = scripted(chunks);
      const r = await new BootloaderClient(link).info();
      expect(r).toMatchObject({ ok: true, value: { version: '1.1.0', startAddress: 0x8000 } });
      expect(link.written).toBe(1);
    }
  });

  it('reports any other answer that is not the one asked for', async () => {
    const link = scripted([encodeResponse(RESPONSE.unknown)]);
    const r = await new BootloaderClient(link).info();
    expect(!r.ok && r.error).toMatchObject({
      kind: 'failed',
      message: expect.stringMatching(/^INFO: the bootloader answered/),
    });
  });
});
