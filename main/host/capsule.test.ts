// "New capsule...": the checks that refuse a request (and write nothing), and the wiring edits
// on copies of the real kernel's files. tests/kernel/new-capsule.test.ts builds and boots the
// result; tests/e2e/studio.e2e.test.ts drives the dialog.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addModule, addWorkspaceMember, camel, CapsuleService, wireComposition } from './capsule';

const KERNEL = path.resolve(import.meta.dirname, '..', '..', 'kernel');
let root: string;
let service: CapsuleService;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'capsule-'));
  for (const part of [
    'capsules/src',
    'boards',
    'components',
    'apps/Cargo.toml',
    'apps/hello',
    'kernel/src/process.rs',
  ])
    cpSync(path.join(KERNEL, part), path.join(root, part), {
      recursive: true,
      filter: (src) => !/[\\/]target$/.test(src),
    });
  service = new CapsuleService(root);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const snapshot = (): string =>
  ['capsules/src/lib.rs', 'capsules/src/board.rs', 'apps/Cargo.toml']
    .map((f) => readFileSync(path.join(root, f), 'utf8'))
    .join('\n');

describe('New capsule checks', () => {
  it('reads the driver table and the boards', () => {
    const t = service.drivers();
    expect(t.ok && t.value.drivers.map((d) => [d.number, d.capsule])).toEqual(
      expect.arrayContaining([
        [0, 'alarm'],
        [1, 'console'],
        [0x40001, 'rng'],
      ]),
    );
    expect(t.ok && t.value.boards).toEqual(expect.arrayContaining(['mps2-an386', 'nrf52']));
  });

  it.each([
    ['LedCounter', 0x90000, 'bad-request', /snake_case/],
    ['led__x', 0x90000, 'bad-request', /snake_case/],
    ['match', 0x90000, 'bad-request', /keyword/],
    ['console', 0x90000, 'exists', /capsules\/src\/console\.rs already exists/],
    ['hello', 0x90000, 'exists', /apps\/hello already exists/],
    ['fresh', 1, 'exists', /driver number 0x1 is taken by the console capsule/],
    ['fresh', 0x40001, 'exists', /taken by the rng capsule/],
  ])('refuses %s with driver %i and writes nothing', async (name, driverNumber, code, message) => {
    const before = snapshot();
    const r = await service.create({ name, driverNumber, hil: false });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.message).toMatch(message);
    }
    expect(snapshot()).toBe(before);
    expect(existsSync(path.join(root, 'capsules/src', `${name}.rs`))).toBe(name === 'console');
  });

  it('refuses when a board has no grant left', async () => {
    writeFileSync(
      path.join(root, 'kernel/src/process.rs'),
      readFileSync(path.join(root, 'kernel/src/process.rs'), 'utf8').replace(
        /pub const MAX_GRANTS: usize = \d+;/,
        'pub const MAX_GRANTS: usize = 3;',
      ),
    );
    const r = await service.plan({ name: 'fresh', driverNumber: 0x90000, hil: false });
    expect(r).toMatchObject({ ok: false, error: { message: expect.stringMatching(/allows 3/) } });
  });

  it('says which anchor is missing', async () => {
    const board = path.join(root, 'capsules/src/board.rs');
    writeFileSync(board, readFileSync(board, 'utf8').replace('_ => None,', '_ => none(),'));
    const r = await service.plan({ name: 'fresh', driverNumber: 0x90000, hil: false });
    expect(r).toMatchObject({
      ok: false,
      error: { message: 'capsules/src/board.rs has no `_ => None,` arm closing the driver table' },
    });
  });

  it('plans the capsule, its wiring into every board and its app', async () => {
    const r = await service.plan({ name: 'led_counter', driverNumber: 0x90000, hil: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.files.map((f) => `${f.action} ${f.path}`)).toEqual([
      'create capsules/src/led_counter.rs',
      'modify capsules/src/lib.rs',
      'modify capsules/src/board.rs',
      'modify boards/mps2-an386/src/main.rs',
      'modify components/nrf52/src/lib.rs',
      'modify apps/Cargo.toml',
      'create apps/led_counter/Cargo.toml',
      'create apps/led_counter/src/main.rs',
    ]);
    const capsule = r.value.files[0]!.content;
    // The house layout: tagline, syscall interface, struct with grant, HIL client, NOSUPPORT.
    expect(capsule).toMatch(/^\/\/! LedCounter \(driver 0x90000\)/);
    expect(capsule).toContain('//! System calls:');
    expect(capsule).toContain('apps: Grant<App>,');
    expect(capsule).toContain("impl<'a> AlarmClient for LedCounter<'a>");
    expect(capsule).toMatch(
      /_ => CommandReturn::failure\(ErrorCode::NoSupport\),\n\s*}\n\s*}\n}\n$/,
    );
    expect(r.value.files[4]!.content).toContain('            led_counter,\n        }');
    // Nothing was written by plan.
    expect(existsSync(path.join(root, 'capsules/src/led_counter.rs'))).toBe(false);
  });
});

describe('wiring edits', () => {
  it('keeps modules sorted and the workspace list readable', () => {
    expect(addModule('pub mod alarm;\npub mod rng;\n', 'led')).toBe(
      'pub mod alarm;\npub mod led;\npub mod rng;\n',
    );
    expect(addModule('pub mod b;\n', 'a')).toBe('pub mod a;\npub mod b;\n');
    expect(addWorkspaceMember('members = ["runtime", "hello"]\n', 'x')).toEqual({
      ok: true,
      value: 'members = ["runtime", "hello", "x"]\n',
    });
    expect(addWorkspaceMember('members = [\n    "a",\n]\n', 'x')).toEqual({
      ok: true,
      value: 'members = [\n    "a",\n    "x",\n]\n',
    });
    expect(camel('led_counter2')).toBe('LedCounter2');
  });

  it('refuses a composition without the alarm mux for the HIL variant', () => {
    const r = wireComposition(
      'fn main() {\n    let board = static_init!(Board, Board {\n        a,\n    });\n}\n',
      'boards/x/src/main.rs',
      'foo',
      'Foo',
      true,
    );
    expect(r).toMatchObject({ ok: false, error: { message: expect.stringMatching(/alarm mux/) } });
    const plain = wireComposition(
      'fn main() {\n    let board = static_init!(Board, Board {\n        a,\n    });\n}\n',
      'boards/x/src/main.rs',
      'foo',
      'Foo',
      false,
    );
    expect(plain.ok && plain.value).toContain('        a,\n        foo,\n    });');
  });
});
