/**
 * Memory: hex and ASCII of target memory read through the side-effect-free debug path. Go to
 * an address, a register (`sp`) or a symbol; follow the selected word as a pointer; edit a byte
 * (double-click) while halted. The machine's memory map names the region shown.
 */
import { useCallback, useEffect, useState } from 'react';
import type { MemoryBlock } from '../../../../main/common/contract';
import { useModel } from '../../models/use';
import type { Studio } from '../../studio';

const ROWS = 16;
const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');

export function MemoryPanel({ studio }: { studio: Studio }) {
  const d = useModel(studio.debug);
  const [query, setQuery] = useState('sp');
  const [address, setAddress] = useState<number | null>(null);
  const [block, setBlock] = useState<MemoryBlock | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [editing, setEditing] = useState<{ at: number; text: string } | null>(null);
  const live = d.session !== null && d.session.phase !== 'ended';

  const read = useCallback(
    async (at: number) => {
      const r = await studio.host.api.session.readMemory({ address: at, length: ROWS * 16 });
      if (!r.ok) {
        setProblem(r.error.message);
        return;
      }
      setBlock(r.value);
      setProblem(r.value.problem ?? null);
    },
    [studio],
  );

  const go = async (q: string): Promise<void> => {
    const r = await studio.host.api.session.lookup({ query: q });
    if (!r.ok) {
      setProblem(`${r.error.message}${r.error.fix ? ` — ${r.error.fix}` : ''}`);
      return;
    }
    const at = r.value.address & ~0xf;
    setAddress(at);
    setSelected(r.value.address);
    await read(at);
  };

  // Re-read at every stop.
  const stopKey = `${d.session?.id}-${d.session?.phase}-${d.session?.stop?.pc}`;
  useEffect(() => {
    if (!live) return;
    if (address === null) {
      if (d.session?.phase === 'halted') void go(query);
    } else void read(address);
  }, [stopKey]);

  if (!live)
    return <div className="panel-empty">No session is running. Start one with Run or Debug.</div>;

  const bytes = block?.bytes ?? new Uint8Array(0);
  const word = (at: number): number | null => {
    const o = at - (block?.address ?? 0);
    if (o < 0 || o + 4 > bytes.length) return null;
    return (bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)) >>> 0;
  };
  const commit = async (): Promise<void> => {
    if (!editing) return;
    const v = parseInt(editing.text, 16);
    if (!/^[0-9a-f]{1,2}$/i.test(editing.text) || !Number.isFinite(v)) {
      setProblem(`"${editing.text}" is not a byte in hex (00-ff)`);
      return;
    }
    const r = await studio.host.api.session.writeMemory({
      address: editing.at,
      bytes: new Uint8Array([v]),
    });
    setEditing(null);
    if (!r.ok) setProblem(r.error.message);
    else {
      studio.debug.wroteTarget();
      if (address !== null) await read(address);
    }
  };
  const rows: number[] = [];
  for (let o = 0; o < ROWS * 16; o += 16) rows.push(o);
  return (
    <div className="memory">
      <form
        className="view-tools"
        onSubmit={(e) => {
          e.preventDefault();
          void go(query);
        }}
      >
        <input
          className="memory-address"
          aria-label="Address, register or symbol"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="0x20000000, sp, or a symbol"
        />
        <button type="submit">Go</button>
        <button
          type="button"
          disabled={selected === null || word(selected) === null}
          title="Go to the address held by the selected word"
          onClick={() => {
            const w = selected !== null ? word(selected) : null;
            if (w !== null) void go(`0x${w.toString(16)}`);
          }}
        >
          Follow pointer
        </button>
        <button
          type="button"
          onClick={() => address !== null && void read(address)}
          disabled={address === null}
        >
          Refresh
        </button>
        <span className="spacer" />
        <span className="dim memory-region">
          {block?.regions.map((r) => `${r.name} (${r.kind})`).join(', ') || 'unmapped'}
        </span>
      </form>
      {problem && <div className="value-problem">{problem}</div>}
      {block && (
        <table className="hexdump">
          <tbody>
            {rows.map((o) => {
              const at = block.address + o;
              const line = bytes.subarray(o, o + 16);
              return (
                <tr key={o}>
                  <th>{hex(at >>> 0, 8)}</th>
                  <td className="hex-bytes">
                    {Array.from({ length: 16 }, (_, i) => {
                      const a = at + i;
                      const b = line[i];
                      const isEditing = editing?.at === a;
                      return (
                        <span
                          key={i}
                          className={`hex-byte ${selected !== null && a >= selected && a < selected + 4 ? 'selected' : ''}`}
                          data-address={a}
                          onClick={() => setSelected(a & ~3)}
                          onDoubleClick={() =>
                            b !== undefined &&
                            d.session?.phase === 'halted' &&
                            setEditing({ at: a, text: hex(b, 2) })
                          }
                        >
                          {isEditing ? (
                            <input
                              autoFocus
                              size={2}
                              value={editing.text}
                              onChange={(e) => setEditing({ at: a, text: e.target.value })}
                              onKeyDown={(e) => {
                                if (e.key === 'Enter') void commit();
                                if (e.key === 'Escape') setEditing(null);
                              }}
                              onBlur={() => setEditing(null)}
                            />
                          ) : b === undefined ? (
                            '??'
                          ) : (
                            hex(b, 2)
                          )}
                        </span>
                      );
                    })}
                  </td>
                  <td className="hex-ascii">
                    {Array.from(line, (b) =>
                      b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.',
                    ).join('')}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
