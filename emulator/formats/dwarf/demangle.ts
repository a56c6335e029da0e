/**
 * Rust symbol demangling: legacy (`_ZN...E` with a hash) and v0 (`_R...`) manglings.
 *
 * Symbol tables and DW_AT_linkage_name carry mangled names; people read demangled ones. No
 * well-kept pure-JavaScript Rust demangler exists on npm (the candidates are WebAssembly builds
 * or C++-only), so this is written from the mangling descriptions: legacy names are
 * Itanium-style length-prefixed path segments with `$LT$`-style escapes and a trailing
 * `h<16 hex digits>` hash (dropped); v0 names follow the grammar of Rust RFC 2603 (paths, impl
 * paths, generic arguments, types, consts, back-references, punycode identifiers). Output
 * matches llvm-cxxfilt's: no crate disambiguators or hashes. Anything that does not parse is
 * returned unchanged, never thrown.
 *
 * @example
 *   demangle('_ZN4core3ptr13drop_in_place17h0123456789abcdefE'); // 'core::ptr::drop_in_place'
 *   demangle('_RNvCs1234_5hello4main');                           // 'hello::main'
 */

/** Demangle a Rust symbol; returns the input unchanged when it is not a Rust mangled name. */
export function demangle(symbol: string): string {
  try {
    if (symbol.startsWith('_R')) return demangleV0(symbol.slice(2)) ?? symbol;
    if (symbol.startsWith('R') && /^R[A-Z]/.test(symbol))
      return demangleV0(symbol.slice(1)) ?? symbol;
    if (symbol.startsWith('__R')) return demangleV0(symbol.slice(3)) ?? symbol;
    if (symbol.startsWith('_ZN')) return demangleLegacy(symbol) ?? symbol;
    if (symbol.startsWith('__ZN')) return demangleLegacy(symbol.slice(1)) ?? symbol;
  } catch {
    // Malformed input: shown as it is.
  }
  return symbol;
}

/** True when `symbol` looks like a Rust mangled name. */
export function isRustMangled(symbol: string): boolean {
  return /^_?_R[A-Z0-9]/.test(symbol) || /^_?_ZN.*17h[0-9a-f]{16}E/.test(symbol);
}

const LEGACY_ESCAPES: Record<string, string> = {
  SP: '@',
  BP: '*',
  RF: '&',
  LT: '<',
  GT: '>',
  LP: '(',
  RP: ')',
  C: ',',
};

function demangleLegacy(s: string): string | undefined {
  let i = 3;
  const parts: string[] = [];
  while (i < s.length && s[i] !== 'E') {
    let n = 0;
    const start = i;
    while (i < s.length && s[i]! >= '0' && s[i]! <= '9') n = n * 10 + (s.charCodeAt(i++) - 48);
    if (i === start || n === 0 || i + n > s.length) return undefined;
    parts.push(s.slice(i, i + n));
    i += n;
  }
  if (s[i] !== 'E' || parts.length === 0) return undefined;
  const last = parts[parts.length - 1]!;
  if (parts.length > 1 && /^h[0-9a-f]{16}$/.test(last)) parts.pop();
  return parts.map(unescapeLegacy).join('::');
}

function unescapeLegacy(part: string): string {
  let p = part.startsWith('_$') ? part.slice(1) : part;
  let out = '';
  while (p.length > 0) {
    if (p.startsWith('..')) {
      out += '::';
      p = p.slice(2);
    } else if (p[0] === '.') {
      out += '-';
      p = p.slice(1);
    } else if (p[0] === '$') {
      const end = p.indexOf('$', 1);
      if (end < 0) return out + p;
      const code = p.slice(1, end);
      const known = LEGACY_ESCAPES[code];
      if (known) out += known;
      else if (/^u[0-9a-f]+$/.test(code)) out += String.fromCodePoint(parseInt(code.slice(1), 16));
      else return out + p;
      p = p.slice(end + 1);
    } else {
      const next = p.search(/[.$]/);
      out += next < 0 ? p : p.slice(0, next);
      p = next < 0 ? '' : p.slice(next);
    }
  }
  return out;
}

class V0Error extends Error {}

const BASIC_TYPES: Record<string, string> = {
  a: 'i8',
  b: 'bool',
  c: 'char',
  d: 'f64',
  e: 'str',
  f: 'f32',
  h: 'u8',
  i: 'isize',
  j: 'usize',
  l: 'i32',
  m: 'u32',
  n: 'i128',
  o: 'u128',
  s: 'i16',
  t: 'u16',
  u: '()',
  v: '...',
  x: 'i64',
  y: 'u64',
  z: '!',
  p: '_',
};

/** A v0 demangler over the text after the `_R` prefix (RFC 2603). */
class V0 {
  pos = 0;
  depth = 0;
  /** Lifetimes bound by enclosing binders (for naming 'a, 'b...). */
  boundLifetimes = 0;

  constructor(private readonly s: string) {}

  private peek(): string {
    return this.s[this.pos] ?? '';
  }
  private next(): string {
    if (this.pos >= this.s.length) throw new V0Error('unexpected end');
    return this.s[this.pos++]!;
  }
  private eat(c: string): boolean {
    if (this.s[this.pos] === c) {
      this.pos++;
      return true;
    }
    return false;
  }

  private enter(): void {
    if (++this.depth > 200) throw new V0Error('too deep');
  }

  base62(): number {
    if (this.eat('_')) return 0;
    let n = 0;
    for (;;) {
      const c = this.next();
      if (c === '_') return n + 1;
      let d: number;
      if (c >= '0' && c <= '9') d = c.charCodeAt(0) - 48;
      else if (c >= 'a' && c <= 'z') d = c.charCodeAt(0) - 97 + 10;
      else if (c >= 'A' && c <= 'Z') d = c.charCodeAt(0) - 65 + 36;
      else throw new V0Error('bad base-62 digit');
      n = n * 62 + d;
    }
  }

  private optBase62(tag: string): number {
    return this.eat(tag) ? this.base62() + 1 : 0;
  }

  decimal(): number {
    const start = this.pos;
    while (this.peek() >= '0' && this.peek() <= '9') this.pos++;
    if (start === this.pos) throw new V0Error('expected a number');
    if (this.s[start] === '0' && this.pos - start > 1) throw new V0Error('leading zero');
    return Number(this.s.slice(start, this.pos));
  }

  ident(): string {
    const punycode = this.eat('u');
    const len = this.decimal();
    this.eat('_');
    if (this.pos + len > this.s.length) throw new V0Error('identifier past the end');
    const raw = this.s.slice(this.pos, this.pos + len);
    this.pos += len;
    return punycode ? decodePunycode(raw) : raw;
  }

  private backref<T>(f: () => T): T {
    const at = this.base62();
    if (at >= this.pos - 1) throw new V0Error('forward back-reference');
    const saved = this.pos;
    this.pos = at;
    this.enter();
    try {
      return f();
    } finally {
      this.depth--;
      this.pos = saved;
    }
  }

  path(inValue = false): string {
    this.enter();
    try {
      const tag = this.next();
      switch (tag) {
        case 'C': {
          this.optBase62('s');
          return this.ident();
        }
        case 'M': {
          this.implPath();
          const self = this.type();
          return `<${self}>`;
        }
        case 'X': {
          this.implPath();
          const self = this.type();
          const trait = this.path();
          return `<${self} as ${trait}>`;
        }
        case 'Y': {
          const self = this.type();
          const trait = this.path();
          return `<${self} as ${trait}>`;
        }
        case 'N': {
          const ns = this.next();
          const prefix = this.path(inValue);
          const dis = this.optBase62('s');
          const name = this.ident();
          if (ns >= 'A' && ns <= 'Z') {
            const kind = ns === 'C' ? 'closure' : ns === 'S' ? 'shim' : ns;
            return `${prefix}::{${kind}${name ? `:${name}` : ''}#${dis}}`;
          }
          return name ? `${prefix}::${name}` : prefix;
        }
        case 'I': {
          const base = this.path(inValue);
          const args: string[] = [];
          while (!this.eat('E')) args.push(this.genericArg());
          return `${base}${inValue ? '::' : ''}<${args.join(', ')}>`;
        }
        case 'B':
          return this.backref(() => this.path(inValue));
        default:
          throw new V0Error(`bad path tag ${tag}`);
      }
    } finally {
      this.depth--;
    }
  }

  private implPath(): void {
    this.optBase62('s');
    this.path();
  }

  private genericArg(): string {
    if (this.peek() === 'L') {
      this.pos++;
      return this.lifetime(this.base62());
    }
    if (this.eat('K')) return this.constValue();
    return this.type();
  }

  private lifetime(i: number): string {
    if (i === 0) return "'_";
    const depth = this.boundLifetimes - i;
    if (depth < 0) return "'_";
    return depth < 26 ? `'${String.fromCharCode(97 + depth)}` : `'_${depth}`;
  }

  private binder(): number {
    return this.eat('G') ? this.base62() + 1 : 0;
  }

  type(): string {
    this.enter();
    try {
      const c = this.peek();
      const basic = BASIC_TYPES[c];
      if (basic !== undefined && c >= 'a' && c <= 'z') {
        this.pos++;
        return basic;
      }
      this.pos++;
      switch (c) {
        case 'A': {
          const t = this.type();
          const n = this.constValue();
          return `[${t}; ${n}]`;
        }
        case 'S':
          return `[${this.type()}]`;
        case 'T': {
          const items: string[] = [];
          while (!this.eat('E')) items.push(this.type());
          return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
        }
        case 'R':
        case 'Q': {
          let lt = '';
          if (this.eat('L')) {
            const l = this.base62();
            if (l !== 0) lt = `${this.lifetime(l)} `;
          }
          return `&${lt}${c === 'Q' ? 'mut ' : ''}${this.type()}`;
        }
        case 'P':
          return `*const ${this.type()}`;
        case 'O':
          return `*mut ${this.type()}`;
        case 'F':
          return this.fnSig();
        case 'D': {
          const bound = this.binder();
          this.boundLifetimes += bound;
          const traits: string[] = [];
          while (!this.eat('E')) {
            let t = this.path();
            const assoc: string[] = [];
            while (this.eat('p')) {
              const name = this.ident();
              assoc.push(`${name} = ${this.type()}`);
            }
            if (assoc.length)
              t = t.endsWith('>')
                ? `${t.slice(0, -1)}, ${assoc.join(', ')}>`
                : `${t}<${assoc.join(', ')}>`;
            traits.push(t);
          }
          this.boundLifetimes -= bound;
          if (!this.eat('L')) throw new V0Error('dyn without lifetime');
          const l = this.base62();
          const lt = l !== 0 ? ` + ${this.lifetime(l)}` : '';
          return `dyn ${traits.join(' + ')}${lt}`;
        }
        case 'B':
          return this.backref(() => this.type());
        default:
          this.pos--;
          return this.path();
      }
    } finally {
      this.depth--;
    }
  }

  private fnSig(): string {
    const bound = this.binder();
    this.boundLifetimes += bound;
    let prefix = '';
    if (this.eat('U')) prefix += 'unsafe ';
    if (this.eat('K')) {
      const abi = this.eat('C') ? 'C' : this.ident().replace(/_/g, '-');
      prefix += `extern "${abi}" `;
    }
    const params: string[] = [];
    while (!this.eat('E')) params.push(this.type());
    const ret = this.type();
    this.boundLifetimes -= bound;
    return `${prefix}fn(${params.join(', ')})${ret === '()' ? '' : ` -> ${ret}`}`;
  }

  private constValue(): string {
    if (this.eat('p')) return '_';
    if (this.eat('B')) return this.backref(() => this.constValue());
    const t = this.next();
    const neg = this.eat('n');
    const start = this.pos;
    while (this.peek() !== '_') {
      if (!/[0-9a-f]/.test(this.next())) throw new V0Error('bad const digit');
    }
    const hexDigits = this.s.slice(start, this.pos);
    this.pos++;
    const v = hexDigits ? BigInt(`0x${hexDigits}`) : 0n;
    switch (t) {
      case 'b':
        return v === 0n ? 'false' : 'true';
      case 'c':
        return `'${String.fromCodePoint(Number(v))}'`;
      default:
        if (!BASIC_TYPES[t]) throw new V0Error('unsupported const type');
        return `${neg ? '-' : ''}${v.toString()}`;
    }
  }
}

function demangleV0(s: string): string | undefined {
  // An optional decimal encoding version (only 0 exists) precedes the path.
  const d = new V0(s);
  if (/^[0-9]/.test(s)) return undefined;
  let out = d.path(true);
  // An instantiating crate may follow; it is not shown.
  if (d.pos < s.length && /[A-Z]/.test(s[d.pos]!)) d.path();
  if (d.pos < s.length && s[d.pos] === '.') out += ` (${s.slice(d.pos + 1)})`;
  return out;
}

/** RFC 3492 punycode, as v0 encodes non-ASCII identifiers (with '_' for the delimiter). */
function decodePunycode(input: string): string {
  const sep = input.lastIndexOf('_');
  const out: number[] = [];
  if (sep >= 0) for (const ch of input.slice(0, sep)) out.push(ch.codePointAt(0)!);
  let i = 0;
  let n = 128;
  let bias = 72;
  let pos = sep >= 0 ? sep + 1 : 0;
  const base = 36;
  let first = true;
  while (pos < input.length) {
    const oldi = i;
    let w = 1;
    for (let k = base; ; k += base) {
      const c = input[pos++];
      if (c === undefined) throw new V0Error('bad punycode');
      const code = c.charCodeAt(0);
      const digit =
        code >= 97 && code <= 122 ? code - 97 : code >= 48 && code <= 57 ? code - 22 : -1;
      if (digit < 0) throw new V0Error('bad punycode digit');
      i += digit * w;
      const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
      if (digit < t) break;
      w *= base - t;
    }
    const len = out.length + 1;
    let delta = first ? Math.floor((i - oldi) / 700) : Math.floor((i - oldi) / 2);
    first = false;
    delta += Math.floor(delta / len);
    let k = 0;
    while (delta > 455) {
      delta = Math.floor(delta / 35);
      k += base;
    }
    bias = k + Math.floor((36 * delta) / (delta + 38));
    n += Math.floor(i / len);
    i %= len;
    out.splice(i, 0, n);
    i++;
  }
  return String.fromCodePoint(...out);
}
