// Mapping rustc's JSON diagnostics (as cargo prints them) to markers and Problems entries.
import { describe, expect, it } from 'vitest';
import { diagnosticFromCargoLine, parseCargoLine, relativeToRoot, stripAnsi } from './diagnostics';

const ROOT = '/home/dev/kernel';

function span(file: string, line: number, col: number, extra: Record<string, unknown> = {}) {
  return {
    file_name: file,
    line_start: line,
    line_end: line,
    column_start: col,
    column_end: col + 3,
    is_primary: true,
    label: null,
    expansion: null,
    ...extra,
  };
}

function message(msg: Record<string, unknown>) {
  return JSON.stringify({
    reason: 'compiler-message',
    package_id: 'path+file:///home/dev/kernel/capsules#capsules@0.1.0',
    target: { name: 'capsules' },
    message: {
      code: null,
      children: [],
      rendered: `\u001b[1merror\u001b[0m: boom\n`,
      spans: [],
      ...msg,
    },
  });
}

describe('relativeToRoot', () => {
  it.each([
    ['capsules/src/led.rs', 'capsules/src/led.rs', true],
    ['./capsules/../capsules/src/led.rs', 'capsules/src/led.rs', true],
    ['/home/dev/kernel/boards/x/src/main.rs', 'boards/x/src/main.rs', true],
    ['/home/dev/.cargo/registry/src/foo/lib.rs', '/home/dev/.cargo/registry/src/foo/lib.rs', false],
    ['/home/dev/kernelx/a.rs', '/home/dev/kernelx/a.rs', false],
    ['../outside.rs', '/home/dev/kernel/../outside.rs', false],
  ])('%s -> %s', (file, path, inProject) => {
    expect(relativeToRoot(file, ROOT)).toEqual({ path, inProject });
  });
});

describe('diagnostic mapping', () => {
  it('maps an error with its code, primary span and label', () => {
    const d = diagnosticFromCargoLine(
      message({
        message: 'mismatched types',
        level: 'error',
        code: { code: 'E0308', explanation: '...' },
        spans: [
          span('capsules/src/led.rs', 40, 9, { is_primary: false, label: 'expected due to this' }),
          {
            ...span('capsules/src/led.rs', 42, 17),
            line_end: 42,
            column_end: 21,
            label: 'expected `u32`, found `bool`',
          },
        ],
      }),
      ROOT,
    );
    expect(d).toMatchObject({
      path: 'capsules/src/led.rs',
      inProject: true,
      severity: 'error',
      code: 'E0308',
      line: 42,
      column: 17,
      endLine: 42,
      endColumn: 21,
      crate: 'capsules',
      message: 'mismatched types\nexpected `u32`, found `bool`',
    });
    expect(d!.related).toEqual([
      { path: 'capsules/src/led.rs', line: 40, column: 9, message: 'expected due to this' },
    ]);
  });

  it('turns children with spans into related locations and others into message lines', () => {
    const d = diagnosticFromCargoLine(
      message({
        message: 'unused variable: `x`',
        level: 'warning',
        spans: [span('capsules/src/led.rs', 5, 9)],
        children: [
          {
            message: '`#[warn(unused_variables)]` on by default',
            level: 'note',
            spans: [],
            children: [],
          },
          {
            message: 'prefix it with an underscore',
            level: 'help',
            spans: [span('capsules/src/led.rs', 5, 9)],
            children: [],
          },
        ],
      }),
      ROOT,
    );
    expect(d!.severity).toBe('warning');
    expect(d!.message).toBe(
      'unused variable: `x`\nnote: `#[warn(unused_variables)]` on by default',
    );
    expect(d!.related).toEqual([
      {
        path: 'capsules/src/led.rs',
        line: 5,
        column: 9,
        message: 'help: prefix it with an underscore',
      },
    ]);
  });

  it('moves a diagnostic out of a foreign macro to the project line that invoked it', () => {
    const d = diagnosticFromCargoLine(
      message({
        message: 'format argument must be a string literal',
        level: 'error',
        spans: [
          span('/rustlib/src/rust/library/core/src/macros/mod.rs', 900, 1, {
            expansion: {
              span: span('kernel/src/debug.rs', 77, 5, { is_primary: false }),
              macro_decl_name: 'panic!',
            },
          }),
        ],
      }),
      ROOT,
    );
    expect(d).toMatchObject({ path: 'kernel/src/debug.rs', line: 77, column: 5, inProject: true });
  });

  it('drops span-less summaries and unknown levels', () => {
    expect(
      diagnosticFromCargoLine(
        message({ message: 'aborting due to 2 previous errors', level: 'error', spans: [] }),
        ROOT,
      ),
    ).toBeNull();
    expect(
      diagnosticFromCargoLine(
        message({ message: 'x', level: 'weird', spans: [span('a.rs', 1, 1)] }),
        ROOT,
      ),
    ).toBeNull();
  });

  it('maps internal compiler errors and failure notes', () => {
    const ice = diagnosticFromCargoLine(
      message({
        message: 'ice',
        level: 'error: internal compiler error',
        spans: [span('a.rs', 1, 1)],
      }),
      ROOT,
    );
    expect(ice!.severity).toBe('error');
  });
});

describe('parseCargoLine', () => {
  it('recognises artifacts, build-finished and ignores non-JSON', () => {
    expect(
      parseCargoLine(
        '{"reason":"compiler-artifact","target":{"name":"kernel"},"fresh":true}',
        ROOT,
      ),
    ).toEqual({
      reason: 'compiler-artifact',
      crate: 'kernel',
      fresh: true,
    });
    expect(parseCargoLine('{"reason":"build-finished","success":false}', ROOT)).toEqual({
      reason: 'build-finished',
      success: false,
    });
    expect(parseCargoLine('   Compiling kernel v0.1.0', ROOT)).toBeNull();
    expect(parseCargoLine('{broken', ROOT)).toBeNull();
  });

  it('returns the rendered text without ANSI colours', () => {
    const m = parseCargoLine(
      message({ message: 'boom', level: 'error', spans: [span('a.rs', 1, 1)] }),
      ROOT,
    );
    expect(m?.reason === 'compiler-message' && m.rendered).toBe('error: boom\n');
    expect(stripAnsi('\u001b[38;5;12m-->\u001b[0m')).toBe('-->');
  });
});
