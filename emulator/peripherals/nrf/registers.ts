/**
 * What each nRF52 peripheral model says about its registers: name, offset, access and reset
 * value, in the Product Specification's terms.
 *
 * Every peripheral module exports such a table for the registers it models. The SVD agreement
 * test (resources/svd) checks these tables against the SVD file we wrote from the Product
 * Specification, and the emulator's MMIO access log names registers through the SVD, so a
 * model, its description and its trace cannot drift apart silently.
 */

export type Access = 'read-only' | 'write-only' | 'read-write';

export interface RegisterInfo {
  /** PS name; a dot marks a cluster (RXD.PTR), `%s` the index of an array register (CC[%s]). */
  name: string;
  /** Offset from the peripheral base (of element 0 for arrays). */
  offset: number;
  access: Access;
  /** Value after reset. */
  reset: number;
  /** Array registers: number of elements and bytes between them. */
  dim?: { count: number; stride: number };
}

/** Expands array registers into one entry per element (CC[%s] -> CC[0], CC[1], ...). */
export function expandRegisters(regs: readonly RegisterInfo[]): RegisterInfo[] {
  const out: RegisterInfo[] = [];
  for (const r of regs) {
    if (!r.dim) {
      out.push(r);
      continue;
    }
    for (let i = 0; i < r.dim.count; i++) {
      out.push({
        name: r.name.replace('%s', String(i)),
        offset: r.offset + i * r.dim.stride,
        access: r.access,
        reset: r.reset,
      });
    }
  }
  return out;
}
