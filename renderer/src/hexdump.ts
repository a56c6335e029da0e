/**
 * The hex view of a binary file: what the editor shows for a file that is not text, from the
 * raw bytes the host sends (the contract's bytes kind).
 *
 * @example
 *   hexDump(Uint8Array.from([0x54, 0x4f, 0x43, 0x4b])); // "00000000  54 4f 43 4b ... |TOCK|"
 */
/** How much of a binary file the hex view shows. */
export const HEX_VIEW_BYTES = 64 * 1024;

/** `offset  hex bytes  |ascii|`, 16 bytes a line, as hexdump -C prints it. */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = bytes.subarray(at, at + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0'));
    const left = hex.slice(0, 8).join(' ');
    const right = hex.slice(8).join(' ');
    const ascii = [...row]
      .map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'))
      .join('');
    lines.push(
      `${at.toString(16).padStart(8, '0')}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|`,
    );
  }
  return `${lines.join('\n')}\n`;
}
