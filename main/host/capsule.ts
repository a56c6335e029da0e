/**
 * "New capsule...": writes a capsule in the house layout, wires it into the driver table and
 * every board's composition, and writes a userspace app that calls it.
 *
 * `plan` checks the request and returns every file it would create or change with the new
 * text, without writing; `create` writes exactly that plan (each file through a temporary
 * sibling and a rename, and only after every check passed, so a refused request changes
 * nothing). The checks: the name is a snake_case Rust identifier that is not a keyword and not
 * already a capsule module or an app crate; the driver number is not in the driver table of
 * `capsules/src/board.rs` (each `crate::<module>::DRIVER_NUM => ...` arm, numbers read from
 * the modules); each board composition still has a free grant (`MAX_GRANTS` in
 * `kernel/src/process.rs`); and the anchors the wiring edits (the driver table's `_ => None`
 * arm, the `Board` struct, each composition's `let board = static_init!(` and, for the HIL
 * variant, its alarm `mux`) are where a kernel workspace like ours has them. Anything missing
 * is refused with the file and the anchor named.
 *
 * The templates are documented in kernel/README.md ("Writing a capsule"); the wiring is what a
 * person would write by hand, so the result reads like the rest of the kernel.
 *
 * @example
 *   const plan = await new CapsuleService(root).plan({ name: 'counter', driverNumber: 0x90000, hil: false });
 *   if (plan.ok) for (const f of plan.value.files) console.log(f.action, f.path);
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CapsulePlan, CapsulePlanFile, DriverTable, Result } from '../common/contract.js';
import { err } from './project.js';

const RUST_KEYWORDS = new Set(
  (
    'as async await break const continue crate dyn else enum extern false fn for if impl in let ' +
    'loop match mod move mut pub ref return self static struct super trait true type unsafe use ' +
    'where while abstract become box do final macro override priv typeof unsized virtual yield try ' +
    // Names the runtime, the kernel and the workspace already take.
    'core std alloc kernel capsules board cells runtime capsule_rt test main lib'
  ).split(' '),
);

/** The range suggested for new drivers (Tock's "miscellaneous" numbers). */
export const SUGGESTED_DRIVER_BASE = 0x90000;

const hex = (n: number): string => `0x${n.toString(16)}`;

export function camel(name: string): string {
  return name
    .split('_')
    .filter(Boolean)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');
}

function parseRustInt(text: string): number | null {
  const t = text.replace(/_/g, '').trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

interface Workspace {
  root: string;
  board: string;
  boardRs: string;
  lib: string;
  libRs: string;
  compositions: { path: string; text: string }[];
  appsToml: string;
  maxGrants: number;
  /** Grants each shared component (`components::name(...)`) creates, from components/src/lib.rs. */
  componentGrants: Map<string, number>;
}

export class CapsuleService {
  constructor(private readonly root: string) {}

  private read(rel: string): string | null {
    try {
      return readFileSync(path.join(this.root, rel), 'utf8');
    } catch {
      return null;
    }
  }

  /** The files a new capsule touches, or why this project is not one the wizard can extend. */
  private workspace(): Result<Workspace> {
    const board = 'capsules/src/board.rs';
    const lib = 'capsules/src/lib.rs';
    const boardRs = this.read(board);
    const libRs = this.read(lib);
    const appsToml = this.read('apps/Cargo.toml');
    if (boardRs === null || libRs === null || appsToml === null)
      return err(
        'no-project',
        'this project is not a Capsule kernel workspace: it needs capsules/src/board.rs (the driver table), capsules/src/lib.rs and apps/Cargo.toml',
      );
    const compositions: { path: string; text: string }[] = [];
    // Board crates, and the compositions several boards share (components/<chip family>).
    for (const top of ['boards', 'components']) {
      const dir = path.join(this.root, top);
      for (const b of existsSync(dir) ? readdirSync(dir).sort() : []) {
        const src = path.join(dir, b, 'src');
        if (!existsSync(src)) continue;
        for (const f of readdirSync(src).sort()) {
          if (!f.endsWith('.rs')) continue;
          const rel = `${top}/${b}/src/${f}`;
          const text = this.read(rel) ?? '';
          if (/let\s+board\s*=\s*static_init!\(/.test(text)) compositions.push({ path: rel, text });
        }
      }
    }
    if (compositions.length === 0)
      return err(
        'no-project',
        'no board composition was found: no boards/*/src/*.rs or components/*/src/*.rs builds the board with `let board = static_init!(`',
      );
    const grants = /pub const MAX_GRANTS: usize = (\d+);/.exec(
      this.read('kernel/src/process.rs') ?? '',
    );
    return {
      ok: true,
      value: {
        root: this.root,
        board,
        boardRs,
        lib,
        libRs,
        compositions,
        appsToml,
        maxGrants: grants ? Number(grants[1]) : Infinity,
        componentGrants: componentGrants(this.read('components/src/lib.rs') ?? ''),
      },
    };
  }

  drivers(): Result<DriverTable> {
    const ws = this.workspace();
    if (!ws.ok) return { ok: true, value: { drivers: [], boards: [], problem: ws.error.message } };
    const drivers: DriverTable['drivers'] = [];
    for (const m of ws.value.boardRs.matchAll(/crate::(\w+)::DRIVER_NUM\s*=>/g)) {
      const module = m[1]!;
      const src = this.read(`capsules/src/${module}.rs`) ?? '';
      const num = /pub const DRIVER_NUM: u32 = ([^;]+);/.exec(src);
      const n = num ? parseRustInt(num[1]!) : null;
      if (n !== null) drivers.push({ number: n, capsule: module });
    }
    drivers.sort((a, b) => a.number - b.number);
    return {
      ok: true,
      value: { drivers, boards: ws.value.compositions.map((c) => c.path.split('/')[1]!) },
    };
  }

  async plan(args: {
    name: string;
    driverNumber: number;
    hil: boolean;
  }): Promise<Result<CapsulePlan>> {
    const { name, driverNumber, hil } = args;
    if (!/^[a-z][a-z0-9_]*$/.test(name) || name.endsWith('_') || name.includes('__'))
      return err(
        'bad-request',
        `"${name}" is not a capsule name: use snake_case (lower-case letters, digits and single underscores, starting with a letter), as in "led_counter"`,
      );
    if (RUST_KEYWORDS.has(name))
      return err('bad-request', `"${name}" is a Rust keyword or a name the kernel already uses`);
    const ws = this.workspace();
    if (!ws.ok) return ws;
    const table = this.drivers();
    if (!table.ok) return table;
    const taken = table.value.drivers.find((d) => d.number === driverNumber);
    if (taken)
      return err(
        'exists',
        `driver number ${hex(driverNumber)} is taken by the ${taken.capsule} capsule`,
        `Free numbers follow ${hex(SUGGESTED_DRIVER_BASE)}; for example ${hex(this.suggest(table.value))}.`,
      );
    if (existsSync(path.join(this.root, 'capsules', 'src', `${name}.rs`)))
      return err('exists', `capsules/src/${name}.rs already exists`);
    if (new RegExp(`^\\s*pub mod ${name};`, 'm').test(ws.value.libRs))
      return err('exists', `capsules/src/lib.rs already declares a module ${name}`);
    if (existsSync(path.join(this.root, 'apps', name)))
      return err('exists', `apps/${name} already exists; pick another name for the capsule`);

    const struct = camel(name);
    const files: CapsulePlanFile[] = [
      {
        path: `capsules/src/${name}.rs`,
        action: 'create',
        content: capsuleSource(name, driverNumber, hil),
      },
    ];
    const lib = addModule(ws.value.libRs, name);
    files.push({ path: ws.value.lib, action: 'modify', content: lib });
    const board = wireDriverTable(ws.value.boardRs, name, struct, hil);
    if (!board.ok) return board;
    files.push({ path: ws.value.board, action: 'modify', content: board.value });
    for (const c of ws.value.compositions) {
      const grants = grantsCreated(c.text, ws.value.componentGrants);
      if (grants + 1 > ws.value.maxGrants)
        return err(
          'bad-request',
          `${c.path} already creates ${grants} grants and the kernel allows ${ws.value.maxGrants} (MAX_GRANTS in kernel/src/process.rs)`,
          'Raise MAX_GRANTS or drop a driver the board does not need.',
        );
      const wired = wireComposition(c.text, c.path, name, struct, hil);
      if (!wired.ok) return wired;
      files.push({ path: c.path, action: 'modify', content: wired.value });
    }
    const members = addWorkspaceMember(ws.value.appsToml, name);
    if (!members.ok) return members;
    files.push({ path: 'apps/Cargo.toml', action: 'modify', content: members.value });
    files.push({ path: `apps/${name}/Cargo.toml`, action: 'create', content: appCargo(name) });
    files.push({
      path: `apps/${name}/src/main.rs`,
      action: 'create',
      content: appSource(name, driverNumber, hil),
    });
    return { ok: true, value: { name, driverNumber, files, app: name } };
  }

  async create(args: {
    name: string;
    driverNumber: number;
    hil: boolean;
  }): Promise<Result<CapsulePlan>> {
    const plan = await this.plan(args);
    if (!plan.ok) return plan;
    try {
      for (const f of plan.value.files) {
        const absolute = path.join(this.root, f.path);
        await mkdir(path.dirname(absolute), { recursive: true });
        const tmp = `${absolute}.capsule-new-${process.pid}`;
        await writeFile(tmp, f.content, 'utf8');
        await rename(tmp, absolute);
      }
    } catch (e) {
      return err('io', `writing the new capsule failed: ${(e as Error).message}`);
    }
    formatRust(
      this.root,
      plan.value.files.filter((f) => f.path.endsWith('.rs')).map((f) => f.path),
    );
    return plan;
  }

  private suggest(table: DriverTable): number {
    let n = SUGGESTED_DRIVER_BASE;
    while (table.drivers.some((d) => d.number === n)) n++;
    return n;
  }
}

/**
 * Formats the written Rust files the way the kernel's `cargo fmt --check` gate wants them
 * (the wiring lines depend on the name's length). Without rustfmt the files stay as written:
 * they compile either way.
 */
function formatRust(root: string, files: string[]): void {
  const home = process.env.CARGO_HOME || path.join(os.homedir(), '.cargo');
  const candidates = [path.join(home, 'bin', 'rustfmt'), 'rustfmt'];
  for (const rustfmt of candidates) {
    const r = spawnSync(rustfmt, ['--edition', '2021', ...files], { cwd: root, stdio: 'ignore' });
    if (!r.error) return;
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring edits (pure, tested on the real kernel's files)

export function addModule(lib: string, name: string): string {
  const lines = lib.split('\n');
  const mods = lines.map((l, i) => ({ l, i })).filter(({ l }) => /^pub mod \w+;/.test(l));
  if (mods.length === 0) return `${lib.replace(/\n*$/, '\n')}pub mod ${name};\n`;
  const after = mods.filter(({ l }) => l.slice(8, -1) < name).pop();
  const at = after ? after.i + 1 : mods[0]!.i;
  lines.splice(at, 0, `pub mod ${name};`);
  return lines.join('\n');
}

export function wireDriverTable(
  src: string,
  name: string,
  struct: string,
  hil: boolean,
): Result<string> {
  const fallback = /^([ \t]*)_ => None,/m.exec(src);
  if (!fallback)
    return err(
      'bad-request',
      'capsules/src/board.rs has no `_ => None,` arm closing the driver table',
    );
  let out =
    src.slice(0, fallback.index) +
    `${fallback[1]}crate::${name}::DRIVER_NUM => Some(self.${name}),\n` +
    src.slice(fallback.index);
  const structAt = /pub struct Board<[^>]*> \{/.exec(out);
  if (!structAt)
    return err('bad-request', 'capsules/src/board.rs has no `pub struct Board<...> {`');
  const close = out.indexOf('\n}', structAt.index);
  if (close < 0)
    return err('bad-request', 'capsules/src/board.rs: the Board struct does not close');
  const ty = hil ? `crate::${name}::${struct}<'static>` : `crate::${name}::${struct}`;
  out = `${out.slice(0, close)}\n    /// ${struct} driver.\n    pub ${name}: &'static ${ty},${out.slice(close)}`;
  return { ok: true, value: out };
}

function findClosing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Grants each `pub fn` of the components crate creates (its `create_grant()` calls). */
export function componentGrants(componentsRs: string): Map<string, number> {
  const out = new Map<string, number>();
  const fns = [...componentsRs.matchAll(/^pub fn (\w+)/gm)];
  fns.forEach((m, i) => {
    const body = componentsRs.slice(m.index, fns[i + 1]?.index ?? componentsRs.length);
    out.set(m[1]!, (body.match(/create_grant\(\)/g) ?? []).length);
  });
  return out;
}

/** Grants a composition creates: its own `create_grant()` calls and its components'. */
export function grantsCreated(composition: string, components: Map<string, number>): number {
  let n = (composition.match(/create_grant\(\)/g) ?? []).length;
  for (const m of composition.matchAll(/components::(\w+)\(/g)) n += components.get(m[1]!) ?? 0;
  return n;
}

export function wireComposition(
  src: string,
  file: string,
  name: string,
  struct: string,
  hil: boolean,
): Result<string> {
  const boardAt = /^(\s*)let\s+board\s*=\s*static_init!\(/m.exec(src);
  if (!boardAt) return err('bad-request', `${file} has no \`let board = static_init!(\``);
  const indent = boardAt[1]!.replace(/^\n+/, '');
  const ty = `capsules::${name}::${struct}`;
  const construct = hil
    ? [
        `// ${struct} (driver capsules::${name}): its own virtual alarm as its split-phase device.`,
        `let ${name}_alarm = static_init!(`,
        `    capsules::virtual_alarm::VirtualAlarm<'static>,`,
        `    capsules::virtual_alarm::VirtualAlarm::new(mux)`,
        `);`,
        `${name}_alarm.setup();`,
        `let ${name} = static_init!(`,
        `    ${ty}<'static>,`,
        `    ${ty}::new(${name}_alarm, kernel.create_grant(), kernel)`,
        `);`,
        `kernel::hil::time::Alarm::set_alarm_client(${name}_alarm, ${name});`,
      ]
    : [
        `// ${struct} (driver capsules::${name}).`,
        `let ${name} = static_init!(${ty}, ${ty}::new(kernel.create_grant(), kernel));`,
      ];
  if (hil && !/let\s+mux\s*=/.test(src))
    return err(
      'bad-request',
      `${file} has no alarm mux (\`let mux = ...\`) to give the capsule's split-phase example a virtual alarm`,
      'Create the capsule without the HIL client, or add a MuxAlarm to the board.',
    );
  const lineStart = boardAt.index + boardAt[0].indexOf('let');
  let out =
    src.slice(0, lineStart) +
    construct.map((l) => l).join(`\n${indent}`) +
    `\n\n${indent}` +
    src.slice(lineStart);
  const literal = /\bBoard\s*\{/g;
  literal.lastIndex = out.indexOf('static_init!(', lineStart + construct.join('').length);
  const lit = literal.exec(out);
  if (!lit)
    return err('bad-request', `${file}: the board's \`Board { ... }\` literal was not found`);
  const close = findClosing(out, lit.index + lit[0].length - 1);
  if (close < 0) return err('bad-request', `${file}: the \`Board { ... }\` literal does not close`);
  const lastField = out.lastIndexOf('\n', close);
  const fieldIndent = /^\s*/.exec(out.slice(lastField + 1))![0];
  const innerIndent = `${fieldIndent}    `;
  const before = out.slice(0, lastField).replace(/,?\s*$/, ',');
  out = `${before}\n${innerIndent}${name},${out.slice(lastField)}`;
  return { ok: true, value: out };
}

export function addWorkspaceMember(toml: string, name: string): Result<string> {
  const m = /members\s*=\s*\[([^\]]*)\]/.exec(toml);
  if (!m) return err('bad-request', 'apps/Cargo.toml has no `members = [...]` list');
  const inner = m[1]!;
  const multiline = inner.includes('\n');
  const replaced = multiline
    ? `${inner.replace(/,?\s*$/, ',')}\n    "${name}",\n`
    : `${inner.replace(/,?\s*$/, '')}, "${name}"`;
  return {
    ok: true,
    value: toml.slice(0, m.index) + toml.slice(m.index).replace(inner, replaced),
  };
}

// ---------------------------------------------------------------------------------------------
// Templates (kernel/README.md "Writing a capsule" walks through them)

export function capsuleSource(name: string, driverNumber: number, hil: boolean): string {
  const struct = camel(name);
  const lt = hil ? "<'a>" : '';
  const header = `//! ${struct} (driver ${hex(driverNumber)}): a per-process value${hil ? ' and a split-phase request' : ''}.
//!
//! Written by Capsule Studio's "New capsule..." from the template in kernel/README.md
//! ("Writing a capsule"): replace this tagline and the example commands with your driver's.
//!
//! Usage (in each board's composition, wired by the template):
//! \`\`\`rust,ignore
${
  hil
    ? `//! let ${name}_alarm = static_init!(VirtualAlarm<'static>, VirtualAlarm::new(mux));
//! ${name}_alarm.setup();
//! let ${name} = static_init!(${struct}<'static>, ${struct}::new(${name}_alarm, kernel.create_grant(), kernel));
//! ${name}_alarm.set_alarm_client(${name});`
    : `//! let ${name} = static_init!(${struct}, ${struct}::new(kernel.create_grant(), kernel));`
}
//! \`\`\`
//!
//! System calls:
//! - command 0: driver exists (Success).
//! - command 1 (value): remember \`value\` for this process (Success).
//! - command 2: the value this process remembered last (SuccessU32; 0 before any command 1).
${
  hil
    ? `//! - command 3 (ms): start a request that completes \`ms\` milliseconds later (Success), then
//!   upcall 0 (0, value, 0) with the remembered value; Failure(BUSY) while one is pending.
//! - subscribe 0: completion of command 3.
`
    : ''
}//! - anything else: Failure(NOSUPPORT).
`;
  const uses = hil
    ? `use kernel::grant::Grant;
use kernel::hil::time::{Alarm, AlarmClient};
use kernel::platform::SyscallDriver;
use kernel::process::ProcessId;
use kernel::syscall::CommandReturn;
use kernel::{ErrorCode, Kernel};`
    : `use kernel::grant::Grant;
use kernel::platform::SyscallDriver;
use kernel::process::ProcessId;
use kernel::syscall::CommandReturn;
use kernel::{ErrorCode, Kernel};`;
  const app = hil
    ? `/// Per-process state, kept in the process's grant region.
#[derive(Default)]
pub struct App {
    value: u32,
    pending: bool,
}`
    : `/// Per-process state, kept in the process's grant region.
#[derive(Default)]
pub struct App {
    value: u32,
}`;
  const structDef = hil
    ? `/// The capsule.
pub struct ${struct}<'a> {
    device: &'a dyn Alarm<'a>,
    apps: Grant<App>,
    kernel: &'static Kernel,
}

impl<'a> ${struct}<'a> {
    /// A capsule whose split-phase requests run on \`device\` (a virtual alarm here: replace
    /// it with your peripheral's HIL, keeping the start-then-callback shape).
    pub fn new(device: &'a dyn Alarm<'a>, apps: Grant<App>, kernel: &'static Kernel) -> Self {
        ${struct} {
            device,
            apps,
            kernel,
        }
    }
}

impl<'a> AlarmClient for ${struct}<'a> {
    /// The device finished: complete every pending request with its process's value.
    fn alarm(&self) {
        let kernel = self.kernel;
        self.apps.each(|pid, app| {
            if app.pending {
                app.pending = false;
                kernel.schedule_upcall(pid, DRIVER_NUM, 0, [0, app.value, 0]);
            }
        });
    }
}`
    : `/// The capsule.
pub struct ${struct} {
    apps: Grant<App>,
    #[allow(dead_code)]
    kernel: &'static Kernel,
}

impl ${struct} {
    /// A capsule keeping its per-process state in \`apps\`.
    pub fn new(apps: Grant<App>, kernel: &'static Kernel) -> Self {
        ${struct} { apps, kernel }
    }
}`;
  const hilCommand = hil
    ? `            3 => {
                let started = self.apps.enter(pid, |app| {
                    if app.pending {
                        return Err(ErrorCode::Busy);
                    }
                    app.pending = true;
                    Ok(())
                });
                match started {
                    Ok(Ok(())) => {
                        if !self.device.is_armed() {
                            let ticks = (self.device.frequency() / 1000).saturating_mul(arg1.max(1));
                            self.device.set_alarm(self.device.now(), ticks);
                        }
                        CommandReturn::success()
                    }
                    Ok(Err(e)) | Err(e) => CommandReturn::failure(e),
                }
            }
`
    : '';
  const subscribe = hil
    ? `    fn subscribe_number_ok(&self, number: u32) -> bool {
        number == 0
    }

`
    : `    fn subscribe_number_ok(&self, _number: u32) -> bool {
        false
    }

`;
  return `${header}
${uses}

/// Driver number.
pub const DRIVER_NUM: u32 = ${hex(driverNumber)};

${app}

${structDef}

impl${lt} SyscallDriver for ${struct}${lt} {
${subscribe}    fn command(&self, command: u32, arg1: u32, _arg2: u32, pid: ProcessId) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => match self.apps.enter(pid, |app| app.value = arg1) {
                Ok(()) => CommandReturn::success(),
                Err(e) => CommandReturn::failure(e),
            },
            2 => match self.apps.enter(pid, |app| app.value) {
                Ok(v) => CommandReturn::success_u32(v),
                Err(e) => CommandReturn::failure(e),
            },
${hilCommand}            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }
}
`;
}

export function appCargo(name: string): string {
  return `[package]
name = "${name}"
version = "0.1.0"
edition = "2021"
license = "MIT"

[dependencies]
capsule_rt = { path = "../runtime" }
`;
}

export function appSource(name: string, driverNumber: number, hil: boolean): string {
  const struct = camel(name);
  return `//! ${name}: calls the ${struct} capsule (driver ${hex(driverNumber)}) and prints what it answers.
//! Written by Capsule Studio's "New capsule..." next to capsules/src/${name}.rs.
#![no_std]
#![no_main]

use capsule_rt::println;
use capsule_rt::syscall::command;
${hil ? 'use capsule_rt::syscall::yield_wait_for;\n' : ''}
/// The capsule's driver number (capsules/src/${name}.rs).
const DRIVER: u32 = ${hex(driverNumber)};

#[no_mangle]
fn app_main() {
    if !command(DRIVER, 0, 0, 0).is_success() {
        println!("${name}: driver ${hex(driverNumber)} is not in this kernel");
        return;
    }
    let stored = command(DRIVER, 1, 42, 0).to_result();
    let value = command(DRIVER, 2, 0, 0).to_u32();
    match (stored, value) {
        (Ok(()), Ok(v)) => println!("${name}: the capsule remembered {}", v),
        (Err(e), _) | (_, Err(e)) => println!("${name}: the capsule said {}", e.name()),
    }
${
  hil
    ? `    match command(DRIVER, 3, 10, 0).to_result() {
        Ok(()) => {
            let (status, value, _) = yield_wait_for(DRIVER, 0);
            println!("${name}: request done (status {}, value {})", status, value);
        }
        Err(e) => println!("${name}: the request was refused: {}", e.name()),
    }
`
    : ''
}}
`;
}
