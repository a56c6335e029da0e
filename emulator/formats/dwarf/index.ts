/**
 * DWARF reader for Rust on Cortex-M: the public API of emulator/formats/dwarf.
 *
 * Pure TypeScript (no Node): runs in the host, a worker or the renderer. Consumers (the IDE
 * debugger, the GDB server's Tock threads, the Tock views) use:
 *
 * - `DebugInfo.load(elfBytes, { loadBias, name })` -> Result<DebugInfo>: one image, indexed
 *   lazily (unit headers at once; line tables, functions, statics and types on first use;
 *   `index()` builds everything). DWARF 2-5 units may be mixed in one image.
 *   - `lineFor(addr)` -> { file, line, column, isStmt, address, end } (address to source)
 *   - `addressesFor(file, line)` -> { line, addresses } (is_stmt rows where the line begins; a
 *     line without code moves to the next line that has code; pass `exact` to refuse that)
 *   - `functionAt(addr)`, `allFunctions()`, `scopesAt(addr)` (blocks, inlined calls with call
 *     sites, the function; innermost first, each with its variables)
 *   - `findType(name)`, `typeLayout(name)`, `fieldOffset(type, 'a.b')`: layouts by type and
 *     field name, never by hard-coded offsets
 *   - `findStatic(name)`, `vtableType(addr)`, `symbolAt(addr)`, `symbolize(addr)`
 *   - `warnings` (a unit or FDE skipped, naming it) and `notices` (no debug info, and why)
 * - `ProgramSet`: the kernel plus apps loaded where they run (`addApp(bytes, appsJsonEntry)`),
 *   with the same lookups across images and, at a stop:
 *   - `backtrace(registers, readMemory)` -> frames (inlined calls expanded, exception entries
 *     crossed through EXC_RETURN into process or kernel code)
 *   - `variables(frame, readMemory)` -> rendered values with lazy `children()`
 *   - `evaluate('self.apps[0].name', { frame, mem })`, casts: `0x20001000 as *const T`
 * - `ReadMemory` = `(address, length) => Promise<Result<Uint8Array>>`: memory comes from a
 *   DebugTarget (emulator/debug/target.ts) across a worker or a socket; wrap it in
 *   `cachedMemory` for one stop.
 * - `demangle(symbol)`: Rust legacy and v0 manglings.
 *
 * All addresses are runtime addresses. Errors are values: loading returns a Result, lookups
 * return undefined when nothing matches, values carry "<optimized out>" or the reason they are
 * unavailable.
 *
 * @example
 *   const kernel = DebugInfo.load(kernelElf, { name: 'kernel' });
 *   if (!kernel.ok) throw new Error(kernel.error);
 *   const set = new ProgramSet([kernel.value]);
 *   const mem = cachedMemory((a, n) => target.readMemory(a, n));
 *   const bt = await set.backtrace(stopRegistersFrom(await target.readRegisters()), mem);
 *   const locals = await set.variables(bt.frames[0]!, mem);
 */
export { DebugInfo, functionName, layoutOf } from './debug-info';
export type {
  FunctionInfo,
  InlineNode,
  LoadOptions,
  Scope,
  ScopeKind,
  StaticVariable,
  TypeLayout,
  VariableInfo,
} from './debug-info';
export { ProgramSet, appLoadBias } from './program-set';
export type { AppManifestEntry } from './program-set';
export { backtrace, evaluateExpression, frameVariables, valueEnv } from './frames';
export type { Backtrace, EvaluateOptions, Frame, FrameVariable, ProgramLookup } from './frames';
export { unwindStack, isExcReturn, stopRegistersFrom } from './unwind';
export type {
  ExceptionInfo,
  PhysicalFrame,
  StopRegisters,
  UnwindOptions,
  UnwindPolicy,
  UnwindResult,
} from './unwind';
export { cachedMemory, memoryFromSegments, type CachedMemory, type ReadMemory } from './memory';
export { renderValue, structuralValue, activeVariant } from './values';
export type { Storage, Structural, TypedValue, ValueEnv, ValueNode } from './values';
export type { RustType, Field, Variant } from './types';
export type { LineAddresses, LineLocation, LineRow, LineTable } from './line';
export { demangle, isRustMangled } from './demangle';
export { DwarfError } from './reader';
