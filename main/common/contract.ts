/**
 * The one contract between the Capsule Studio host (Node or Electron main) and the renderer.
 *
 * Every request the renderer can make is declared here once: its service, its argument schema
 * (checked at run time by the host) and its result type (checked at compile time by both
 * sides). Both transports (Electron IPC and the browser-mode WebSocket) carry exactly these
 * calls and the `HostEvents` below, so a feature written once works in both. New services
 * (the emulator session, kernel views) add an entry to `contract` and an interface to
 * `HostApi`; the dispatcher, the preload and the client proxy pick them up from the method
 * list without hand-written channel names.
 *
 * Pure TypeScript: no Node, DOM or Electron imports, so the renderer can import it.
 *
 * @example
 *   const r = await api.project.readFile({ path: 'capsules/src/led.rs' });
 *   if (r.ok) editor.setValue(r.value.content); else notify(r.error.message);
 */
import { arr, num, obj, opt, str, type Infer, type Schema } from './schema.js';

/** Errors are values: every call resolves to one of these. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: HostError };

export type HostErrorCode =
  | 'bad-request'
  | 'outside-project'
  | 'not-found'
  | 'too-large'
  | 'binary'
  | 'conflict'
  | 'io'
  | 'no-project'
  | 'build-running'
  | 'unavailable';

export interface HostError {
  code: HostErrorCode;
  message: string;
  /** What the user can do about it, when there is something. */
  fix?: string;
}

// ---------------------------------------------------------------------------------------------
// Shapes returned by the host

export interface ProjectInfo {
  name: string;
  /** Absolute folder on the host (shown, never used by the renderer to build paths). */
  root: string;
  /** True when the folder holds a Cargo.toml (a kernel workspace that can be built). */
  isCargoWorkspace: boolean;
  /** Why the project cannot be built, when it cannot. */
  problem?: string;
  boards: string[];
  transport: 'electron' | 'browser';
}

export interface FileNode {
  /** Project-relative path with forward slashes. */
  path: string;
  name: string;
  kind: 'file' | 'dir';
  children?: FileNode[];
}

export interface FileContent {
  path: string;
  content: string;
  mtimeMs: number;
  size: number;
  /** Set when the file may not be edited (for example not valid UTF-8); the reason is `notice`. */
  readOnly: boolean;
  notice?: string;
}

export interface SavedFile {
  path: string;
  mtimeMs: number;
  size: number;
}

export interface RecoveredBuffer {
  path: string;
  content: string;
  /** The on-disk mtime the edits were based on (0 for a file that did not exist). */
  baseMtimeMs: number;
  savedAt: number;
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface RelatedLocation {
  path: string;
  line: number;
  column: number;
  message: string;
}

/** One rustc diagnostic turned into an editor marker. Lines and columns are 1-based. */
export interface Diagnostic {
  /** Project-relative path, or absolute when outside the project (a dependency). */
  path: string;
  inProject: boolean;
  severity: Severity;
  message: string;
  code?: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  related: RelatedLocation[];
  /** The crate cargo was compiling when rustc reported this. */
  crate?: string;
}

export type BuildStatus = 'succeeded' | 'failed' | 'cancelled' | 'crashed' | 'toolchain-missing';

export interface BuildStarted {
  buildId: number;
  board: string;
}

// ---------------------------------------------------------------------------------------------
// Requests

/**
 * The longest text one call may carry (a file's content, a recovery buffer), in UTF-16 code
 * units. The browser-mode transport sizes its frame limit from it, so every call the contract
 * accepts also fits on the wire.
 */
export const MAX_CONTENT_CHARS = 16 * 1024 * 1024;

export const ReadFileArgs = obj({ path: str({ min: 1, max: 4096 }) });
export const WriteFileArgs = obj({
  path: str({ min: 1, max: 4096 }),
  content: str({ max: MAX_CONTENT_CHARS }),
  /** Refuse to overwrite when the file on disk changed since this mtime (0 = must not exist). */
  expectedMtimeMs: opt(num({ min: 0 })),
});
export const PathsArgs = obj({ paths: arr(str({ min: 1, max: 4096 }), { max: 500 }) });
export const RecoveryPutArgs = obj({
  path: str({ min: 1, max: 4096 }),
  content: str({ max: MAX_CONTENT_CHARS }),
  baseMtimeMs: num({ min: 0 }),
});
export const PathArgs = obj({ path: str({ min: 1, max: 4096 }) });
export const BuildArgs = obj({ board: str({ min: 1, max: 100 }) });
export const BuildIdArgs = obj({ buildId: num({ integer: true, min: 1 }) });
export const NoArgs = obj({});

/**
 * The method table: service -> method -> argument schema. The result type of each method is
 * in `HostApi`; the `satisfies` check below makes the two agree on names.
 */
export const contract = {
  project: {
    info: NoArgs,
    listFiles: NoArgs,
    readFile: ReadFileArgs,
    writeFile: WriteFileArgs,
    /** Files the renderer has open; the host reports when they change or vanish on disk. */
    watch: PathsArgs,
  },
  recovery: {
    put: RecoveryPutArgs,
    discard: PathArgs,
    list: NoArgs,
  },
  build: {
    start: BuildArgs,
    cancel: BuildIdArgs,
  },
} as const;

type Contract = typeof contract;

export interface HostApi {
  project: {
    info(args: Infer<typeof NoArgs>): Promise<Result<ProjectInfo>>;
    listFiles(args: Infer<typeof NoArgs>): Promise<Result<FileNode[]>>;
    readFile(args: Infer<typeof ReadFileArgs>): Promise<Result<FileContent>>;
    writeFile(args: Infer<typeof WriteFileArgs>): Promise<Result<SavedFile>>;
    watch(args: Infer<typeof PathsArgs>): Promise<Result<null>>;
  };
  recovery: {
    put(args: Infer<typeof RecoveryPutArgs>): Promise<Result<null>>;
    discard(args: Infer<typeof PathArgs>): Promise<Result<null>>;
    list(args: Infer<typeof NoArgs>): Promise<Result<RecoveredBuffer[]>>;
  };
  build: {
    start(args: Infer<typeof BuildArgs>): Promise<Result<BuildStarted>>;
    cancel(args: Infer<typeof BuildIdArgs>): Promise<Result<null>>;
  };
}

// Compile-time proof that the schema table and the interface name the same methods with the
// same argument types.
type ArgsOf<F> = F extends (args: infer A) => unknown ? A : never;
type SameMethods = {
  [S in keyof HostApi]: {
    [M in keyof HostApi[S]]: M extends keyof Contract[S & keyof Contract]
      ? Schema<ArgsOf<HostApi[S][M]>>
      : never;
  };
};
contract satisfies SameMethods;
export type ServiceName = keyof HostApi;
export type MethodName<S extends ServiceName> = keyof HostApi[S] & string;

/** "service.method" names, for transports that need one flat string per call. */
export function methodIds(): string[] {
  const ids: string[] = [];
  for (const [service, methods] of Object.entries(contract)) {
    for (const method of Object.keys(methods)) ids.push(`${service}.${method}`);
  }
  return ids;
}

/** Finds the argument schema for "service.method", or undefined for an unknown method. */
export function schemaFor(id: string): Schema<unknown> | undefined {
  const dot = id.indexOf('.');
  if (dot < 0) return undefined;
  const service = id.slice(0, dot);
  const method = id.slice(dot + 1);
  if (!Object.prototype.hasOwnProperty.call(contract, service)) return undefined;
  const methods = contract[service as keyof Contract] as Record<string, Schema<unknown>>;
  if (!Object.prototype.hasOwnProperty.call(methods, method)) return undefined;
  return methods[method];
}

// ---------------------------------------------------------------------------------------------
// Events pushed from the host

export interface HostEvents {
  'build.output': { buildId: number; stream: 'stdout' | 'stderr' | 'host'; line: string };
  'build.progress': { buildId: number; crate: string; done: number; phase: string };
  'build.diagnostics': { buildId: number; diagnostics: Diagnostic[] };
  'build.finished': {
    buildId: number;
    status: BuildStatus;
    message: string;
    fix?: string;
    errors: number;
    warnings: number;
    seconds: number;
  };
  'project.fileChanged': { path: string; kind: 'changed' | 'deleted'; mtimeMs: number };
}

export type HostEventName = keyof HostEvents;

// ---------------------------------------------------------------------------------------------
// Wire format shared by both transports

export interface CallMessage {
  kind: 'call';
  id: number;
  method: string;
  args: unknown;
}
export interface ReplyMessage {
  kind: 'reply';
  id: number;
  result: Result<unknown>;
}
export interface EventMessage {
  kind: 'event';
  name: HostEventName;
  payload: unknown;
}
export type WireMessage = CallMessage | ReplyMessage | EventMessage;

/** Parses one incoming call frame without trusting it. */
export function parseCall(text: string): Result<CallMessage> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: { code: 'bad-request', message: 'request is not valid JSON' } };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, error: { code: 'bad-request', message: 'request must be an object' } };
  const r = raw as Record<string, unknown>;
  if (r.kind !== 'call')
    return { ok: false, error: { code: 'bad-request', message: 'request kind must be "call"' } };
  if (typeof r.id !== 'number' || !Number.isInteger(r.id) || r.id < 0)
    return { ok: false, error: { code: 'bad-request', message: 'request id must be an integer' } };
  if (typeof r.method !== 'string' || r.method.length > 100)
    return { ok: false, error: { code: 'bad-request', message: 'request method must be a name' } };
  return { ok: true, value: { kind: 'call', id: r.id, method: r.method, args: r.args ?? {} } };
}
