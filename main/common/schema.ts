/**
 * Tiny runtime schemas whose TypeScript types are inferred, so one declaration serves both the
 * compiler and the host's request validation.
 *
 * The host must check the shape of every request that crosses a transport (a WebSocket frame
 * or an Electron IPC message is untrusted input), and the renderer must see the same shapes as
 * static types. Declaring each argument shape once with these combinators keeps the two from
 * drifting apart. Pure TypeScript: importable from the renderer and the host alike.
 *
 * @example
 *   const Args = obj({ path: str({ max: 4096 }) });
 *   type Args = Infer<typeof Args>;          // { path: string }
 *   const r = Args.check(JSON.parse(text));  // { ok: true, value } | { ok: false, error }
 */

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Schema<T> {
  /** Validates `input`; `where` names the location for the error message. */
  check(input: unknown, where?: string): Checked<T>;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

export function str(opts: { max?: number; min?: number } = {}): Schema<string> {
  const max = opts.max ?? 64 * 1024 * 1024;
  const min = opts.min ?? 0;
  return {
    check(input, where = 'value') {
      if (typeof input !== 'string') return fail(`${where} must be a string`);
      if (input.length > max) return fail(`${where} is longer than ${max} characters`);
      if (input.length < min) return fail(`${where} must have at least ${min} characters`);
      return { ok: true, value: input };
    },
  };
}

export function num(opts: { integer?: boolean; min?: number; max?: number } = {}): Schema<number> {
  return {
    check(input, where = 'value') {
      if (typeof input !== 'number' || !Number.isFinite(input))
        return fail(`${where} must be a finite number`);
      if (opts.integer && !Number.isInteger(input)) return fail(`${where} must be an integer`);
      if (opts.min !== undefined && input < opts.min)
        return fail(`${where} must be >= ${opts.min}`);
      if (opts.max !== undefined && input > opts.max)
        return fail(`${where} must be <= ${opts.max}`);
      return { ok: true, value: input };
    },
  };
}

export function bool(): Schema<boolean> {
  return {
    check(input, where = 'value') {
      return typeof input === 'boolean'
        ? { ok: true, value: input }
        : fail(`${where} must be true or false`);
    },
  };
}

export function literal<const L extends string>(...options: L[]): Schema<L> {
  return {
    check(input, where = 'value') {
      return typeof input === 'string' && (options as string[]).includes(input)
        ? { ok: true, value: input as L }
        : fail(`${where} must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`);
    },
  };
}

/**
 * Raw bytes (a `Uint8Array`). Electron's IPC carries them as they are; the WebSocket transport
 * sends a message that holds bytes as one binary frame (see wire.ts), so no transport turns
 * them into base64 or number arrays.
 */
export function bytes(opts: { max?: number } = {}): Schema<Uint8Array> {
  const max = opts.max ?? 64 * 1024 * 1024;
  return {
    check(input, where = 'value') {
      if (!(input instanceof Uint8Array)) return fail(`${where} must be bytes`);
      if (input.length > max) return fail(`${where} is longer than ${max} bytes`);
      return { ok: true, value: input };
    },
  };
}

export function arr<T>(item: Schema<T>, opts: { max?: number } = {}): Schema<T[]> {
  const max = opts.max ?? 10_000;
  return {
    check(input, where = 'value') {
      if (!Array.isArray(input)) return fail(`${where} must be an array`);
      if (input.length > max) return fail(`${where} has more than ${max} items`);
      const out: T[] = [];
      for (let i = 0; i < input.length; i++) {
        const r = item.check(input[i], `${where}[${i}]`);
        if (!r.ok) return r;
        out.push(r.value);
      }
      return { ok: true, value: out };
    },
  };
}

/** Marks an object field as optional (absent or undefined). */
export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true;
}

export function opt<T>(inner: Schema<T>): OptionalSchema<T> {
  return {
    optional: true,
    check(input, where) {
      return input === undefined ? { ok: true, value: undefined } : inner.check(input, where);
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never;
}[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
export type InferShape<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & {
  [K in OptionalKeys<S>]?: Infer<S[K]>;
};

/** A plain object with exactly these fields; unknown fields are refused, not ignored. */
export function obj<S extends Shape>(shape: S): Schema<InferShape<S>> {
  return {
    check(input, where = 'value') {
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        return fail(`${where} must be an object`);
      const record = input as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        if (!Object.prototype.hasOwnProperty.call(shape, key))
          return fail(`${where} has an unexpected field "${key}"`);
      }
      const out: Record<string, unknown> = {};
      for (const [key, schema] of Object.entries(shape)) {
        const r = schema.check(record[key], `${where}.${key}`);
        if (!r.ok) return r;
        if (r.value !== undefined) out[key] = r.value;
      }
      return { ok: true, value: out as InferShape<S> };
    },
  };
}
