// The contract's schemas, method table and wire parsing: what the host accepts and refuses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHost } from '../host/host';
import { methodIds, parseCall, schemaFor } from './contract';
import { arr, num, obj, opt, str } from './schema';

describe('schema combinators', () => {
  const S = obj({
    path: str({ min: 1, max: 10 }),
    n: opt(num({ integer: true, min: 0 })),
    tags: opt(arr(str())),
  });

  it('accepts a well-formed value and drops absent optionals', () => {
    expect(S.check({ path: 'a.rs' })).toEqual({ ok: true, value: { path: 'a.rs' } });
    expect(S.check({ path: 'a.rs', n: 3, tags: ['x'] })).toEqual({
      ok: true,
      value: { path: 'a.rs', n: 3, tags: ['x'] },
    });
  });

  it.each([
    [null, 'value must be an object'],
    [[], 'value must be an object'],
    [{}, 'value.path must be a string'],
    [{ path: '' }, 'value.path must have at least 1 characters'],
    [{ path: 'x'.repeat(11) }, 'value.path is longer than 10 characters'],
    [{ path: 'a', n: 1.5 }, 'value.n must be an integer'],
    [{ path: 'a', n: -1 }, 'value.n must be >= 0'],
    [{ path: 'a', n: Infinity }, 'value.n must be a finite number'],
    [{ path: 'a', tags: [1] }, 'value.tags[0] must be a string'],
    [{ path: 'a', extra: 1 }, 'value has an unexpected field "extra"'],
  ])('refuses %j with "%s"', (input, message) => {
    expect(S.check(input)).toEqual({ ok: false, error: message });
  });
});

describe('method table', () => {
  it('lists every service method once, and the host implements exactly those', async () => {
    const ids = methodIds();
    expect(new Set(ids).size).toBe(ids.length);
    // "service.method": dispatch splits at the one dot, so a name with another would misroute.
    for (const id of ids) expect(id, id).toMatch(/^[A-Za-z]+\.[A-Za-z]+$/);
    const project = mkdtempSync(path.join(tmpdir(), 'contract-'));
    const host = createHost({ projectRoot: project, appRoot: project, transport: 'browser' });
    try {
      // The host's implementation names the same services and methods as the table: a method
      // added to one and not the other fails here, whatever the types say.
      const implemented = Object.entries(host.api).flatMap(([service, methods]) =>
        Object.keys(methods as object).map((m) => `${service}.${m}`),
      );
      expect([...implemented].sort()).toEqual([...ids].sort());
      for (const id of ids) {
        // Each one is reached through dispatch with its own argument schema: an argument it
        // does not declare is refused by name, not as an unknown method.
        const r = await host.dispatch(id, { notAnArgument: 1 });
        expect(r, id).toEqual({
          ok: false,
          error: expect.objectContaining({
            code: 'bad-request',
            message: `${id}: arguments has an unexpected field "notAnArgument"`,
          }),
        });
      }
      expect(await host.dispatch('project.nope', {})).toEqual({
        ok: false,
        error: expect.objectContaining({ message: 'unknown method "project.nope"' }),
      });
    } finally {
      host.dispose();
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('finds schemas only for declared methods, not for prototype names', () => {
    expect(schemaFor('project.readFile')).toBeDefined();
    expect(schemaFor('project.nope')).toBeUndefined();
    expect(schemaFor('toString')).toBeUndefined();
    expect(schemaFor('project.constructor')).toBeUndefined();
    expect(schemaFor('__proto__.x')).toBeUndefined();
  });

  it('checks the arguments of a real method', () => {
    const s = schemaFor('project.writeFile')!;
    expect(s.check({ path: 'a.rs', content: 'x' }, 'arguments').ok).toBe(true);
    expect(s.check({ path: 'a.rs' }, 'arguments')).toEqual({
      ok: false,
      error: 'arguments.content must be a string',
    });
    expect(schemaFor('build.start')!.check({ board: '' }, 'arguments').ok).toBe(false);
  });
});

describe('parseCall', () => {
  it('parses a cancel frame', () => {
    expect(parseCall('{"kind":"cancel","id":4}')).toEqual({
      ok: true,
      value: { kind: 'cancel', id: 4 },
    });
  });

  it('parses a call frame', () => {
    expect(parseCall('{"kind":"call","id":4,"method":"project.info","args":{}}')).toEqual({
      ok: true,
      value: { kind: 'call', id: 4, method: 'project.info', args: {} },
    });
  });

  it.each([
    ['not json', 'request is not valid JSON'],
    ['[1]', 'request must be an object'],
    ['{"kind":"event","id":1,"method":"x"}', 'request kind must be "call" or "cancel"'],
    ['{"kind":"call","id":-1,"method":"x"}', 'request id must be an integer'],
    ['{"kind":"call","id":1,"method":7}', 'request method must be a name'],
  ])('refuses %s', (text, message) => {
    const r = parseCall(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe(message);
  });
});
