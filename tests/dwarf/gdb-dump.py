# Prints the frames and locals of the current stop as JSON (one line after @@JSON@@), for the
# DWARF reader checks (tests/dwarf/gdb-oracle.test.ts): what GDB itself computes, through its
# Python API, so the comparison does not depend on how GDB formats values for people.
import gdb, json, re

def val(v, depth):
    try:
        if v.is_optimized_out:
            return '<optimized out>'
        t = v.type.strip_typedefs()
        c = t.code
        if c == gdb.TYPE_CODE_BOOL:
            return bool(v)
        if c == gdb.TYPE_CODE_FLT:
            return float(v)
        if c in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR, gdb.TYPE_CODE_ENUM, gdb.TYPE_CODE_PTR):
            return int(v)
        if c == gdb.TYPE_CODE_ARRAY:
            if depth <= 0:
                return '...'
            lo, hi = t.range()
            return [val(v[i], depth - 1) for i in range(lo, min(hi + 1, lo + 16))]
        if c in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
            if depth <= 0:
                return '...'
            variant = active_variant(v, t)
            if variant is not None:
                return {variant: val(v[variant], depth - 1)}
            out = {}
            for f in t.fields():
                if f.artificial or not f.name:
                    continue
                out[f.name] = val(v[f], depth - 1)
            return out
        return None
    except gdb.error as e:
        return '<unavailable>'

def active_variant(v, t):
    # A Rust enum: GDB names the active variant when it formats the value
    # ("core::option::Option<&u8>::Some(0x...)"); the fields are the variants.
    names = [f.name for f in t.fields() if f.name and not f.artificial]
    if not names or t.name is None:
        return None
    if not all(f.type.strip_typedefs().code == gdb.TYPE_CODE_STRUCT for f in t.fields() if f.name and not f.artificial):
        return None
    # GDB 13 resolves the active variant only for values in memory: formatting an enum held in
    # registers fails an internal assertion. Those are compared variant by variant (raw bytes).
    if v.address is None:
        return None
    text = v.format_string(max_depth=1)
    prefix = t.name + '::'
    if not text.startswith(prefix):
        return None
    m = re.match(r'[A-Za-z_][A-Za-z0-9_]*', text[len(prefix):])
    if m and m.group(0) in names:
        return m.group(0)
    return None

def frames():
    out = []
    f = gdb.newest_frame()
    while f is not None and len(out) < 64:
        sal = f.find_sal()
        entry = {'pc': f.pc(), 'name': f.name(), 'type': f.type(),
                 'file': sal.symtab.fullname() if sal.symtab else None, 'line': sal.line}
        vars = []
        try:
            b = f.block()
            depth = 0
            while b is not None:
                for s in b:
                    if s.is_argument or s.is_variable:
                        try:
                            v = val(s.value(f), 4)
                        except gdb.error:
                            v = '<unavailable>'
                        vars.append({'name': s.name, 'depth': depth, 'arg': s.is_argument, 'value': v})
                if b.function is not None:
                    break
                b = b.superblock
                depth += 1
        except RuntimeError:
            pass
        entry['vars'] = vars
        out.append(entry)
        try:
            f = f.older()
        except gdb.error:
            break
    return out

print('@@JSON@@' + json.dumps(frames()))
