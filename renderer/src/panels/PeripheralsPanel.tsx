/**
 * The Peripherals panel: the chip's registers from its SVD as a tree (peripheral, cluster,
 * register) with search and favourites, values decoded per field with their enumerated names,
 * changed values highlighted, and every writable field editable. Registers whose read has a
 * side effect show "read on demand" and a Read button instead of a value: the panel never reads
 * them by itself. A person's own SVD can be loaded from the project.
 */
import { useEffect, useState, type ReactElement } from 'react';
import type {
  ClusterNode,
  PeripheralNode,
  RegisterNode,
} from '../../../emulator/debug/peripherals/register-view';
import { decodeFields, enumsOf } from '../../../emulator/debug/peripherals/register-view';
import type { PeripheralsModel, PeripheralsState, RegisterValueState } from '../models/peripherals';
import { useModel } from '../models/use';
import type { Studio } from '../studio';

const hex = (v: number, digits = 8): string =>
  `0x${(v >>> 0).toString(16).toUpperCase().padStart(digits, '0')}`;

/** What a peripheral view shows when it cannot draw (no session, no SVD), or null. */
export function unavailable(s: PeripheralsState): ReactElement | null {
  if (!s.session || s.session.phase === 'ended')
    return (
      <div className="panel-empty">
        <strong>No debug session is running.</strong> Start the board with Run or Debug to see its
        peripherals.
      </div>
    );
  if (s.error) return <div className="panel-empty">{s.error}</div>;
  if (!s.description) return <div className="panel-empty">Reading the chip description…</div>;
  return null;
}

function ValueCell({
  node,
  v,
  model,
}: {
  node: RegisterNode;
  v: RegisterValueState | undefined;
  model: PeripheralsModel;
}) {
  const name = `${node.peripheral}.${node.register.name}`;
  if (node.policy.kind === 'unreadable')
    return (
      <span className="reg-value dim" title={node.policy.reason}>
        write-only
      </span>
    );
  if (node.policy.kind === 'on-demand' && (v?.value === null || v?.value === undefined))
    return (
      <span className="reg-value on-demand" title={node.policy.reason}>
        read on demand{' '}
        <button
          className="small"
          data-read={name}
          onClick={(e) => {
            e.stopPropagation();
            void model.readOnDemand(node.address, name);
          }}
        >
          Read
        </button>
      </span>
    );
  if (v?.error)
    return (
      <span className="reg-value error" title={v.error}>
        bus error
      </span>
    );
  if (v?.value === null || v?.value === undefined) return <span className="reg-value dim">…</span>;
  const changed = v.previous !== null && model.snapshot().refreshes - v.changedAt < 10;
  const digits = node.register.size / 4;
  return (
    <span
      className={`reg-value${changed ? ' changed' : ''}`}
      title={v.previous !== null ? `was ${hex(v.previous, digits)}` : undefined}
    >
      {hex(v.value, digits)}
    </span>
  );
}

function RegisterRow({
  node,
  depth,
  model,
}: {
  node: RegisterNode;
  depth: number;
  model: PeripheralsModel;
}) {
  const s = useModel(model);
  const name = `${node.peripheral}.${node.register.name}`;
  const v = s.values[node.address];
  const fav = s.favourites.includes(name);
  return (
    <div
      className={`periph-row register${s.selected?.name === name ? ' selected' : ''}`}
      style={{ paddingLeft: 8 + depth * 14 }}
      data-register={name}
      onClick={() => model.select({ address: node.address, name })}
      title={node.register.description}
    >
      <button
        className={`fav${fav ? ' on' : ''}`}
        title={fav ? 'Remove from favourites' : 'Add to favourites'}
        onClick={(e) => {
          e.stopPropagation();
          model.toggleFavourite(name);
        }}
      >
        {fav ? '★' : '☆'}
      </button>
      <span className="reg-name">{node.label}</span>
      <span className="reg-addr">{hex(node.address)}</span>
      <ValueCell node={node} v={v} model={model} />
    </div>
  );
}

function Children({
  p,
  nodes,
  path,
  depth,
  model,
}: {
  p: PeripheralNode;
  nodes: (ClusterNode | RegisterNode)[];
  path: string;
  depth: number;
  model: PeripheralsModel;
}) {
  const s = useModel(model);
  const searching = s.search.trim() !== '';
  return (
    <>
      {model.visibleChildren(p, nodes).map((n) =>
        n.kind === 'register' ? (
          <RegisterRow key={n.address + n.register.name} node={n} depth={depth} model={model} />
        ) : (
          <div key={`${path}/${n.label}`}>
            <div
              className="periph-row cluster"
              style={{ paddingLeft: 8 + depth * 14 }}
              onClick={() => model.toggle(`${path}/${n.label}`)}
              data-cluster={`${p.label}.${n.label}`}
            >
              {s.expanded.includes(`${path}/${n.label}`) || searching ? '▾' : '▸'} {n.label}
            </div>
            {(s.expanded.includes(`${path}/${n.label}`) || searching) && (
              <Children
                p={p}
                nodes={n.children}
                path={`${path}/${n.label}`}
                depth={depth + 1}
                model={model}
              />
            )}
          </div>
        ),
      )}
    </>
  );
}

function FieldEditor({
  model,
  address,
  name,
  field,
  enums,
  value,
}: {
  model: PeripheralsModel;
  address: number;
  name: string;
  field: string;
  enums: { name: string; value: number }[];
  value: number | null;
}) {
  const [text, setText] = useState('');
  useEffect(() => setText(''), [address, field]);
  return (
    <form
      className="field-edit"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim())
          void model.writeField(address, field, text.trim(), name).then((ok) => ok && setText(''));
      }}
    >
      {enums.length > 0 ? (
        <select
          aria-label={`${name}.${field}`}
          data-field-select={field}
          value=""
          onChange={(e) => {
            if (e.target.value) void model.writeField(address, field, e.target.value, name);
          }}
        >
          <option value="">set…</option>
          {enums.map((x) => (
            <option key={x.name} value={x.name}>
              {x.name} ({x.value}){value === x.value ? ' ✓' : ''}
            </option>
          ))}
        </select>
      ) : null}
      <input
        aria-label={`new value of ${name}.${field}`}
        data-field-input={field}
        placeholder="value"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <button type="submit" className="small">
        Write
      </button>
    </form>
  );
}

function Details({ model }: { model: PeripheralsModel }) {
  const s = useModel(model);
  const [whole, setWhole] = useState('');
  if (s.selected === null)
    return <div className="periph-details panel-empty">Select a register to see its fields.</div>;
  let node: RegisterNode | undefined;
  const find = (nodes: (ClusterNode | RegisterNode)[]): void => {
    for (const n of nodes) {
      if (node) return;
      if (n.kind === 'register' && `${n.peripheral}.${n.register.name}` === s.selected!.name)
        node = n;
      else if (n.kind === 'cluster') find(n.children);
    }
  };
  for (const p of s.tree) find(p.children);
  if (!node) return null;
  const reg = node.register;
  const name = `${node.peripheral}.${reg.name}`;
  if (s.description?.partial?.includes(node.peripheral))
    return <div className="periph-details panel-empty">Reading the fields of {name}…</div>;
  const v = s.values[node.address];
  const value = v?.value ?? null;
  const fields =
    value !== null
      ? decodeFields(reg, value)
      : decodeFields(reg, 0).map(({ name, bitOffset, bitWidth, description, readOnly }) => ({
          name,
          bitOffset,
          bitWidth,
          value: NaN,
          readOnly,
          ...(description ? { description } : {}),
          enumName: undefined as string | undefined,
          enumDescription: undefined as string | undefined,
        }));
  return (
    <div className="periph-details" data-details={name}>
      <div className="details-head">
        <strong>{name}</strong> <span className="reg-addr">{hex(node.address)}</span>{' '}
        <span className="dim">
          {reg.access}, reset {hex(reg.resetValue, reg.size / 4)}
        </span>
        {reg.description ? <div className="dim">{reg.description}</div> : null}
        {node.policy.kind !== 'live' ? (
          <div className="warn">{node.policy.reason}: not read by the refresh</div>
        ) : null}
        <form
          className="field-edit"
          onSubmit={(e) => {
            e.preventDefault();
            const n = Number(whole.trim());
            if (whole.trim() !== '' && Number.isFinite(n))
              void model.writeValue(node!.address, n >>> 0, name).then((ok) => ok && setWhole(''));
          }}
        >
          <input
            aria-label={`new value of ${name}`}
            placeholder="whole register (0x…)"
            value={whole}
            onChange={(e) => setWhole(e.target.value)}
          />
          <button type="submit" className="small">
            Write
          </button>
        </form>
      </div>
      <table className="fields">
        <thead>
          <tr>
            <th>Field</th>
            <th>Bits</th>
            <th>Value</th>
            <th>Meaning</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {fields.map((f) => {
            const svdField = reg.fields.find((x) => x.name === f.name)!;
            return (
              <tr key={f.name} data-field={f.name} title={f.description}>
                <td>{f.name}</td>
                <td className="dim">
                  {f.bitWidth === 1
                    ? f.bitOffset
                    : `${f.bitOffset + f.bitWidth - 1}:${f.bitOffset}`}
                </td>
                <td className="mono">
                  {Number.isNaN(f.value) ? '—' : f.bitWidth > 4 ? hex(f.value, 0) : f.value}
                </td>
                <td>
                  {f.enumName ? <span className="enum">{f.enumName}</span> : null}
                  {f.enumDescription ? <span className="dim"> {f.enumDescription}</span> : null}
                  {!f.enumName && f.description ? (
                    <span className="dim">{f.description}</span>
                  ) : null}
                </td>
                <td>
                  {f.readOnly ? (
                    <span className="dim" title={f.readOnly}>
                      read-only
                    </span>
                  ) : (
                    <FieldEditor
                      model={model}
                      address={node!.address}
                      name={name}
                      field={f.name}
                      enums={enumsOf(svdField, 'write')}
                      value={Number.isNaN(f.value) ? null : f.value}
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function PeripheralsPanel({ studio }: { studio: Studio }) {
  const model = studio.peripherals;
  const s = useModel(model);
  const [svdPath, setSvdPath] = useState('');
  const none = unavailable(s);
  if (none) return none;
  const d = s.description!;
  return (
    <div className="peripherals-panel">
      <div className="periph-toolbar">
        <input
          className="search"
          aria-label="Search registers"
          placeholder="Search peripherals and registers"
          value={s.search}
          onChange={(e) => model.setSearch(e.target.value)}
        />
        <span className="dim" title={d.path ?? ''}>
          {d.device.name} ({d.source === 'user' ? d.path : 'board SVD'})
        </span>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (svdPath.trim()) void model.loadSvd(svdPath.trim());
          }}
        >
          <input
            aria-label="SVD file to load"
            placeholder="my-chip.svd"
            value={svdPath}
            onChange={(e) => setSvdPath(e.target.value)}
          />
          <button type="submit" className="small">
            Load SVD
          </button>
          {d.source === 'user' ? (
            <button type="button" className="small" onClick={() => void model.resetSvd()}>
              Board SVD
            </button>
          ) : null}
        </form>
      </div>
      {d.warnings.length > 0 ? (
        <div className="periph-warnings" role="alert">
          {d.warnings.map((w) => (
            <div key={w}>⚠ {w}</div>
          ))}
        </div>
      ) : null}
      {s.notice ? (
        <div className={`periph-notice ${s.notice.level}`} role="status">
          {s.notice.text}
        </div>
      ) : null}
      <div className="periph-body">
        <div className="periph-tree">
          {model.visiblePeripherals().map((p) => {
            const fav = s.favourites.includes(p.label);
            const open = s.expanded.includes(p.label);
            return (
              <div key={p.label}>
                <div
                  className="periph-row peripheral"
                  data-peripheral={p.label}
                  onClick={() => model.toggle(p.label)}
                  title={p.peripheral.description}
                >
                  <button
                    className={`fav${fav ? ' on' : ''}`}
                    onClick={(e) => {
                      e.stopPropagation();
                      model.toggleFavourite(p.label);
                    }}
                    title={fav ? 'Remove from favourites' : 'Add to favourites'}
                  >
                    {fav ? '★' : '☆'}
                  </button>
                  {open ? '▾' : '▸'} <strong>{p.label}</strong>{' '}
                  <span className="reg-addr">{hex(p.peripheral.baseAddress)}</span>
                  {p.peripheral.alternatePeripheral ? (
                    <span className="dim"> (view of {p.peripheral.alternatePeripheral})</span>
                  ) : null}
                </div>
                {open ? (
                  <Children p={p} nodes={p.children} path={p.label} depth={1} model={model} />
                ) : null}
              </div>
            );
          })}
        </div>
        <Details model={model} />
      </div>
    </div>
  );
}
