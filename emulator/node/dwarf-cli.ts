/**
 * `npm run dwarf -- <lines|functions|frame|locals|types> ELF [WHAT] [--json] [--apps apps.json]`:
 * the DWARF reader from the command line, for people and for checks.
 *
 * - `lines ELF` every line-table row; `lines ELF 0x1234` the source of an address;
 *   `lines ELF console.rs:120` the addresses of a line (the next line with code if it has none).
 * - `functions ELF` every function with its ranges; `functions ELF 0x1234` the function, its
 *   inlined calls and lexical blocks at an address.
 * - `frame ELF 0x1234` how to unwind at an address: the CFI row (CFA and saved registers) and
 *   the logical frames (inlined calls with their call sites).
 * - `locals ELF 0x1234` the variables in scope at an address and where each one lives there
 *   (register, stack slot, location list entry, optimized out). No target is attached, so
 *   there are no values: the IDE and the GDB server show those.
 * - `types ELF` the named types; `types ELF kernel::process::Process` its layout (offsets,
 *   sizes, enum variants).
 * `--apps apps.json` also loads every app ELF at the address it runs at, so app addresses
 * resolve too. Exit status: 0, 1 when the image cannot be read or nothing is found, 2 for usage.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DebugInfo, ProgramSet, type AppManifestEntry, type Scope } from '../formats/dwarf';
import { dieLocation } from '../formats/dwarf/lists';
import { describeExpression } from '../formats/dwarf/expr';
import { armRegisterName } from '../formats/dwarf/expr';
import type { CfaRule, RegisterRule } from '../formats/dwarf/cfi';
import { layoutOf } from '../formats/dwarf/debug-info';

const USAGE = `usage: npm run dwarf -- <command> ELF [WHAT] [--json] [--apps apps.json]
  lines ELF [ADDRESS | FILE:LINE]   line table, the source of an address, or the addresses of a line
  functions ELF [ADDRESS]           functions, or the function and its scopes at an address
  frame ELF ADDRESS                 unwind rule (CFI) and logical frames at an address
  locals ELF ADDRESS                variables in scope at an address and where they live
  types ELF [NAME]                  named types, or one type's layout`;

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

function parseAddress(s: string | undefined): number | undefined {
  if (s === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(s)) return undefined;
  return Number(s) >>> 0;
}

function ruleText(r: RegisterRule): string {
  switch (r.kind) {
    case 'undefined':
      return 'undefined';
    case 'same':
      return 'same value';
    case 'offset':
      return `[CFA${r.offset >= 0 ? '+' : ''}${r.offset}]`;
    case 'valOffset':
      return `CFA${r.offset >= 0 ? '+' : ''}${r.offset}`;
    case 'register':
      return armRegisterName(r.reg);
    case 'expression':
      return `[${describeExpression(r.expr)}]`;
    case 'valExpression':
      return describeExpression(r.expr);
  }
}

function cfaText(c: CfaRule): string {
  return c.kind === 'reg'
    ? `${armRegisterName(c.reg)}${c.offset >= 0 ? '+' : ''}${c.offset}`
    : describeExpression(c.expr);
}

/** Where a variable lives at `pc` (link address of its image), as text. */
function locationText(info: DebugInfo, v: Scope['variables'][number], pc: number): string {
  if (v.abstractOnly) return 'optimized out (no code for it here)';
  const d = v.die;
  if (d.has(0x1c)) return 'constant';
  let loc;
  try {
    loc = dieLocation(d);
  } catch (e) {
    return `unreadable: ${(e as Error).message}`;
  }
  if (!loc) return 'optimized out';
  if (loc.kind === 'expr') return loc.expr.length ? describeExpression(loc.expr) : 'optimized out';
  const link = info.toLink(pc);
  const entry =
    loc.entries.find((e) => !e.isDefault && link >= e.start && link < e.end) ??
    loc.entries.find((e) => e.isDefault);
  if (!entry) return 'optimized out here';
  return `${entry.expr.length ? describeExpression(entry.expr) : 'optimized out'} (in ${hex(info.toRuntime(entry.start))}-${hex(info.toRuntime(entry.end))})`;
}

export function runDwarfCli(argv: string[], readFile: (path: string) => Uint8Array): CliResult {
  const json = argv.includes('--json');
  const rest = argv.filter((a) => a !== '--json');
  let appsJson: string | undefined;
  const ai = rest.indexOf('--apps');
  if (ai >= 0) {
    appsJson = rest[ai + 1];
    rest.splice(ai, 2);
  }
  const [command, elfPath, what] = rest;
  if (!command || !elfPath || !['lines', 'functions', 'frame', 'locals', 'types'].includes(command))
    return { code: 2, out: '', err: USAGE };
  let bytes: Uint8Array;
  try {
    bytes = readFile(elfPath);
  } catch (e) {
    return { code: 1, out: '', err: `${elfPath}: ${(e as Error).message}` };
  }
  const loaded = DebugInfo.load(bytes, { name: elfPath });
  if (!loaded.ok) return { code: 1, out: '', err: loaded.error };
  const info = loaded.value;
  const set = new ProgramSet([info]);
  const notes: string[] = [...info.notices, ...info.warnings.map((w) => `warning: ${w}`)];
  if (appsJson) {
    try {
      const manifest = JSON.parse(new TextDecoder().decode(readFile(appsJson))) as {
        apps: (AppManifestEntry & { elf: string })[];
      };
      for (const app of manifest.apps) {
        const r = set.addApp(readFile(resolve(dirname(appsJson), app.elf)), app);
        if (!r.ok) notes.push(`warning: app ${app.name}: ${r.error}`);
      }
    } catch (e) {
      return { code: 1, out: '', err: `${appsJson}: ${(e as Error).message}` };
    }
  }
  const address = parseAddress(what);
  const done = (value: unknown, text: string[]): CliResult => ({
    code: 0,
    out: json ? `${JSON.stringify(value, null, 2)}\n` : `${text.join('\n')}\n`,
    err: notes.length ? `${notes.join('\n')}\n` : '',
  });
  const fail = (message: string): CliResult => ({
    code: 1,
    out: '',
    err: `${[...notes, message].join('\n')}\n`,
  });
  const needAddress = (): CliResult | undefined =>
    address === undefined
      ? { code: 2, out: '', err: `${command} needs an ADDRESS (0x...)\n${USAGE}` }
      : undefined;

  switch (command) {
    case 'lines': {
      if (what !== undefined && address === undefined) {
        const m = /^(.+):(\d+)$/.exec(what);
        if (!m) return { code: 2, out: '', err: `expected ADDRESS or FILE:LINE, got ${what}` };
        const found = set.addressesFor(m[1]!, Number(m[2]));
        if (found.length === 0)
          return fail(`no code for ${what} (no line at or after ${m[2]} in a file named ${m[1]})`);
        return done(
          found,
          found.map(
            (f) =>
              `${f.program} ${f.file}:${f.line}${f.line !== Number(m[2]) ? ` (line ${m[2]} has no code)` : ''}: ${f.addresses.map(hex).join(' ')}`,
          ),
        );
      }
      if (address !== undefined) {
        const l = set.lineFor(address);
        if (!l)
          return fail(
            `${hex(address)} has no line information${set.functionAt(address) ? '' : ' (it is in no function)'}`,
          );
        return done(l, [
          `${hex(address)} ${l.file}:${l.line}:${l.column}${l.isStmt ? '' : ' (not a statement start)'}`,
        ]);
      }
      const rows: unknown[] = [];
      const text: string[] = ['address    line  col  file  flags'];
      for (const u of info.units) {
        const t = info.lineTable(u);
        if (!t) continue;
        text.push(`# ${u.name ?? '?'} (line table at ${hex(t.offset)}, version ${t.version})`);
        for (const r of t.rows) {
          const flags = [
            r.isStmt && 'is_stmt',
            r.basicBlock && 'basic_block',
            r.endSequence && 'end_sequence',
            r.prologueEnd && 'prologue_end',
            r.epilogueBegin && 'epilogue_begin',
          ]
            .filter(Boolean)
            .join(' ');
          rows.push({ ...r, path: t.files[r.file]?.path ?? null });
          text.push(
            `${hex(r.address)} ${String(r.line).padStart(5)} ${String(r.column).padStart(4)} ${t.files[r.file]?.path ?? `file ${r.file}`} ${flags}`,
          );
        }
      }
      return done(rows, text);
    }
    case 'functions': {
      if (address !== undefined) {
        const f = set.functionAt(address);
        if (!f)
          return fail(
            `${hex(address)} is in no function${set.programFor(address) ? '' : ' and no image'}`,
          );
        const scopes = set.scopesAt(address);
        const text = [
          `${f.name} (${f.program}, ${f.source === 'symbol' ? 'symbol table only' : 'DWARF'}) ${f.ranges.map(([s, e]) => `${hex(s)}-${hex(e)}`).join(' ')}`,
        ];
        for (const s of scopes)
          text.push(
            `  ${s.kind}${s.name ? ` ${s.name}` : ''} ${s.ranges.map(([a, b]) => `${hex(a)}-${hex(b)}`).join(' ')}${s.callSite ? ` called at ${s.callSite.file}:${s.callSite.line}` : ''}`,
          );
        return done(
          {
            function: { ...f, die: undefined },
            scopes: scopes.map((s) => ({
              ...s,
              die: undefined,
              variables: s.variables.map((v) => ({ ...v, die: undefined })),
            })),
          },
          text,
        );
      }
      const all = set.programs().flatMap((p) => p.allFunctions());
      return done(
        all.map((f) => ({ ...f, die: undefined })),
        all.map(
          (f) =>
            `${hex(f.entry)} ${f.ranges.map(([s, e]) => `${hex(s)}-${hex(e)}`).join(' ')} ${f.name}${f.file ? ` (${f.file}:${f.line})` : ''}`,
        ),
      );
    }
    case 'frame': {
      const need = needAddress();
      if (need) return need;
      const prog = set.programFor(address!)!;
      const row = prog.unwindRowAt(address!);
      const scopes = set.scopesAt(address!);
      const fn = set.functionAt(address!);
      const l = set.lineFor(address!);
      const text: string[] = [];
      if (row) {
        text.push(
          `CFA = ${cfaText(row.cfa)}; return address in ${armRegisterName(row.returnAddressRegister)}`,
        );
        for (const [reg, rule] of [...row.rules].sort((a, b) => a[0] - b[0]))
          text.push(`  ${armRegisterName(reg)} = ${ruleText(rule)}`);
      } else
        text.push(
          `no call frame information at ${hex(address!)}: a debugger assumes a leaf (return address in lr)`,
        );
      let loc = l ? `${l.file}:${l.line}` : '<no line>';
      const inl = scopes.filter((s) => s.kind !== 'block');
      inl.forEach((s, i) => {
        text.push(`#${i} ${s.kind === 'inlined' ? '[inlined] ' : ''}${s.name} at ${loc}`);
        if (s.callSite) loc = `${s.callSite.file}:${s.callSite.line}`;
      });
      if (inl.length === 0) text.push(`#0 ${fn?.name ?? '??'} at ${loc}`);
      return done(
        {
          cfi: row
            ? {
                cfa: row.cfa.kind === 'reg' ? cfaText(row.cfa) : describeExpression(row.cfa.expr),
                rules: Object.fromEntries(
                  [...row.rules].map(([k, v]) => [armRegisterName(k), ruleText(v)]),
                ),
              }
            : null,
          frames: inl.map((s) => ({ kind: s.kind, name: s.name, callSite: s.callSite ?? null })),
          line: l ?? null,
        },
        text,
      );
    }
    case 'locals': {
      const need = needAddress();
      if (need) return need;
      const prog = set.programFor(address!)!;
      const scopes = set.scopesAt(address!);
      if (scopes.length === 0)
        return fail(`${hex(address!)} is in no function with debug information`);
      const vars = scopes.flatMap((s, depth) =>
        s.variables.map((v) => ({
          scope: s.kind,
          function: s.name ?? null,
          depth,
          name: v.name,
          parameter: v.isParameter,
          type: v.typeName,
          location: locationText(prog, v, address!),
        })),
      );
      return done(
        vars,
        vars.map(
          (v) =>
            `${'  '.repeat(v.depth)}${v.parameter ? 'param ' : ''}${v.name}: ${v.type} = ${v.location}`,
        ),
      );
    }
    case 'types': {
      if (what === undefined) {
        const names = info.typeNames();
        return done(names, names);
      }
      const t = set.findType(what);
      if (!t) {
        const l = info.typeLayout(what);
        return fail(l.ok ? `no type named ${what}` : l.error);
      }
      const lay = layoutOf(t);
      const text = [`${lay.name}: ${lay.kind}, ${lay.size} bytes`];
      for (const f of lay.fields)
        text.push(
          f.bitSize !== undefined
            ? `  +${f.offset} bits ${f.bitOffset}..${f.bitOffset! + f.bitSize - 1} ${f.name}: ${f.typeName}`
            : `  +${f.offset} ${f.name}: ${f.typeName} (${f.size} bytes)`,
        );
      for (const v of lay.variants ?? [])
        text.push(
          `  variant ${v.name}${v.discriminant !== undefined ? ` = ${v.discriminant}` : ' (dataful: any other value)'} at +${v.offset}: ${v.typeName}`,
        );
      return done(lay, text);
    }
  }
  return { code: 2, out: '', err: USAGE };
}

if (process.argv[1] && /dwarf-cli\.ts$/.test(process.argv[1])) {
  const r = runDwarfCli(process.argv.slice(2), (p) => new Uint8Array(readFileSync(p)));
  if (r.out) process.stdout.write(r.out);
  if (r.err) process.stderr.write(r.err.endsWith('\n') ? r.err : `${r.err}\n`);
  process.exit(r.code);
}
