/**
 * The Capsule Studio host: one implementation of the contract behind both transports.
 *
 * `createHost` composes the services for one open project. Its handlers are typed from the
 * contract's method table (`HostHandlers`), and `dispatch` takes an untrusted "service.method"
 * name and argument value, checks both against that table and runs the handler with an abort
 * signal. A transport opens a `Connection` per window: the connection tracks the window's calls
 * so it can cancel one (or all of them when the window goes), and hands the window the host's
 * events in batches (everything emitted in one tick of the event loop travels as one message;
 * a reply is sent only after the events emitted before it). Electron's IPC and the browser-mode
 * WebSocket both sit on a connection, so neither transport holds any behaviour of its own.
 *
 * @example
 *   const host = createHost({ projectRoot: '/home/me/kernel', appRoot, transport: 'browser' });
 *   const conn = host.connect((events) => socket.send(encodeFrame({ kind: 'events', events })));
 *   const result = await conn.call(1, 'project.readFile', { path: 'Cargo.toml' });
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  createApi,
  specFor,
  type HostApi,
  type HostEvent,
  type HostEventName,
  type HostEvents,
  type HostHandlers,
  type ProjectInfo,
  type Result,
  type SourceLocation,
} from '../common/contract.js';
import { BoardsService, BootloaderService, type BoardsOptions } from './boards.js';
import { BuildService } from './build.js';
import { SerialConsoleService } from './serial-console.js';
import { CapsuleService } from './capsule.js';
import { DebugService, type DebugServiceOptions } from './debug-service.js';
import { HardwareService } from './hardware.js';
import { sourceLocation } from './debug-program.js';
import { TockService } from './tock-service.js';
import { FieldDeclarations } from './tock-decl.js';
import { CallSites } from './tock-source.js';
import { FileService } from './files.js';
import { PeripheralService } from './peripheral-service.js';
import { ProjectService, err } from './project.js';
import { probeSource } from './probes.js';
import { RecoveryStore } from './recovery.js';
import { summarizeBuild } from './summary.js';

export interface HostOptions {
  projectRoot: string;
  /** Folder of the Capsule Studio installation (holds scripts/kernel.mjs). */
  appRoot: string;
  transport: ProjectInfo['transport'];
  recoveryDir?: string;
  builderScript?: string;
  /** Watch the project folder for files created, renamed or deleted (default true). */
  watchTree?: boolean;
  /** Debug-session options (where breakpoints are kept, how targets start: tests). */
  debug?: Omit<DebugServiceOptions, 'projectRoot' | 'emit'>;
  /** How boards are found (tests give fakes). */
  boards?: BoardsOptions;
}

export type EventListener = <K extends HostEventName>(name: K, payload: HostEvents[K]) => void;

/** One window's link to the host. */
export interface Connection {
  /** Runs call `id`; resolves after every event emitted before the reply was handed over. */
  call(id: number, method: string, args: unknown): Promise<Result<unknown>>;
  /** Cancels call `id` of this connection (no-op when it already finished). */
  cancel(id: number): void;
  /** Cancels this connection's calls and stops its events. */
  close(): void;
}

export interface Host {
  api: HostApi;
  /** Random per host process (see `host.hello`). */
  instance: string;
  /** The debug-session service (the views built on it take its target, program and stops). */
  debug: DebugService;
  dispatch(method: string, args: unknown, signal?: AbortSignal): Promise<Result<unknown>>;
  subscribe(listener: EventListener): () => void;
  connect(onEvents: (events: HostEvent[]) => void): Connection;
  dispose(): void;
}

/** Most events one batch carries; a flood of build output is split into several messages. */
export const MAX_EVENTS_PER_BATCH = 2000;

const cancelled = (method: string): Result<unknown> =>
  err('cancelled', `${method} was cancelled by the caller`);

export function createHost(opts: HostOptions): Host {
  const projectRoot = path.resolve(opts.projectRoot);
  const instance = randomUUID();
  const listeners = new Set<EventListener>();
  const emit: EventListener = (name, payload) => {
    for (const l of listeners) {
      try {
        l(name, payload);
      } catch {
        // A broken listener (a closed socket) must not stop the others.
      }
    }
  };
  const project = new ProjectService(projectRoot, opts.transport, emit);
  const recovery = new RecoveryStore(projectRoot, opts.recoveryDir);
  const files = new FileService(projectRoot, emit, { watch: opts.watchTree ?? true });
  const capsules = new CapsuleService(projectRoot);
  const hardware = new HardwareService(projectRoot, path.join(opts.appRoot, 'resources'), emit);
  const build = new BuildService({
    projectRoot,
    builderScript: opts.builderScript ?? path.join(opts.appRoot, 'scripts', 'kernel.mjs'),
    emit: (name, payload) => {
      emit(name, payload);
      // The summary needs the build's board, which only the start call knows.
      if (name === 'build.finished') {
        const finished = payload as HostEvents['build.finished'];
        const board = boards.get(finished.buildId);
        boards.delete(finished.buildId);
        if (finished.status === 'succeeded' && finished.artifacts)
          debug.buildFinished(finished.artifacts);
        if (finished.status === 'succeeded' && board)
          void summarizeBuild(projectRoot, board).then((summary) =>
            emit('build.summary', { buildId: finished.buildId, summary }),
          );
      }
    },
  });
  const boards = new Map<number, string>();
  const debug = new DebugService({
    projectRoot,
    emit,
    resourcesDir: path.join(opts.appRoot, 'resources'),
    ...opts.debug,
  });
  const tock = new TockService(() => ({
    target: debug.target,
    kernel: debug.images?.files[0] ?? null,
    // The first line of the inline chain that is the project's own source (an app's
    // write_volatile shows the app's line, not core's).
    lineAt: (pc: number) => {
      const p = debug.program;
      const l = p?.lineAt(pc);
      const chain = p?.lineChain?.(pc) ?? (l ? [l] : []);
      const located = chain.map((c) => sourceLocation(projectRoot, c.file, c.line, c.column));
      return located.find((c) => c?.inProject) ?? located[0] ?? null;
    },
    halted: debug.session?.phase === 'halted',
    stop: debug.session?.phase === 'halted' ? debug.session.stop : null,
    consoleInput: async (bytes: Uint8Array) => {
      const r = await debug.consoleInput(bytes);
      return r.ok ? r : { ok: false, error: r.error.message };
    },
    apps: debug.images?.apps ?? [],
    declaration: (owner, field) => declarations.find(owner, field),
  }));
  const declarations = new FieldDeclarations(projectRoot);
  const callSites = new CallSites(projectRoot);
  const unavailable = <T>(r: { ok: true; value: T } | { ok: false; error: string }): Result<T> =>
    r.ok
      ? r
      : {
          ok: false,
          error: { code: debug.target ? 'unavailable' : 'no-session', message: r.error },
        };
  const peripherals = new PeripheralService({ projectRoot, appRoot: opts.appRoot, debug, emit });
  /** Windows connected now: when the last one goes, a running session ends with it. */
  let windows = 0;
  // Probes come and go with the same poll as the serial ports (hot-plug): the `usb` package's
  // listing reads sysfs and opens nothing, so polling it never disturbs a probe in use.
  const attached = new BoardsService(emit, { listProbes: probeSource(), ...opts.boards });
  const consoles = new SerialConsoleService(projectRoot, emit);
  const bootloader = new BootloaderService(projectRoot, emit, (p) => consoles.pause(p));

  const handlers: HostHandlers = {
    host: {
      hello: () => ({ ok: true, value: { instance, projectRoot } }),
    },
    project: {
      info: () => project.info(),
      listFiles: (_args, ctx) => project.listFiles(ctx.signal),
      readFile: ({ path: p }) => project.readFile(p),
      readBytes: ({ path: p, offset, length }) => files.readBytes(p, offset ?? 0, length),
      writeFile: async ({ path: p, content, expectedMtimeMs }) => {
        const r = await project.writeFile(p, content, expectedMtimeMs);
        if (r.ok) debug.fileSaved(r.value.path);
        return r;
      },
      watch: ({ paths }) => project.watch(paths),
    },
    files: {
      create: ({ path: p, kind }) => files.create(p, kind),
      rename: async ({ from, to }) => {
        const r = await files.rename(from, to);
        if (r.ok) debug.fileRenamed(r.value.from, r.value.to);
        return r;
      },
      delete: ({ path: p, permanently }) => files.delete(p, permanently ?? false),
    },
    recovery: {
      put: ({ path: p, content, baseMtimeMs }) => recovery.put(p, content, baseMtimeMs),
      discard: ({ path: p }) => recovery.discard(p),
      list: () => recovery.list(),
    },
    build: {
      start: ({ board }) => {
        const r = build.start(board, project.boards());
        if (r.ok) boards.set(r.value.buildId, board);
        return r;
      },
      cancel: ({ buildId }) => build.cancel(buildId),
    },
    probes: {
      list: () => hardware.probes(),
    },
    flash: {
      program: (args, ctx) => hardware.flash(args, ctx.signal),
      images: (args) => hardware.images(args.board),
    },
    peripherals: {
      describe: (args) => peripherals.describe(args),
      detail: (args) => peripherals.detail(args),
      loadSvd: (args) => peripherals.loadSvd(args),
      resetSvd: () => peripherals.resetSvd(),
      read: (args) => peripherals.read(args),
      write: (args) => peripherals.write(args),
      watch: (args) => peripherals.watch(args),
      interrupts: () => peripherals.interrupts(),
      board: () => peripherals.boardState(),
      button: (args) => peripherals.button(args),
      log: (args) => peripherals.log(args),
      connections: () => peripherals.connections(),
    },
    capsule: {
      drivers: () => capsules.drivers(),
      plan: (args) => capsules.plan(args),
      create: (args) => capsules.create(args),
    },
    session: {
      check: ({ board }) => ({ ok: true, value: debug.check(board) }),
      start: (args) => debug.start(args),
      attachable: () => ({ ok: true, value: debug.attachableBoards() }),
      attach: (args) => debug.attach(args),
      status: () => ({ ok: true, value: debug.session }),
      stop: () => debug.stop(),
      restart: () => debug.restart(),
      pause: () => debug.pause(),
      resume: () => debug.resume(),
      step: ({ kind }) => debug.step(kind),
      runToCursor: ({ path: p, line }) => debug.runToCursor(p, line),
      selectFrame: ({ frame }) => debug.selectFrame(frame),
      registers: () => debug.registers(),
      // A write at a halt makes the Tock views' reading of this stop stale.
      writeRegister: async ({ name, value }) => {
        const r = await debug.writeRegister(name, value);
        tock.targetWritten();
        return r;
      },
      readMemory: ({ address, length }) => debug.readMemory(address, length),
      writeMemory: async ({ address, bytes }) => {
        const r = await debug.writeMemory(address, bytes);
        tock.targetWritten();
        return r;
      },
      disassemble: ({ address, count }) => debug.disassemble(address, count),
      stack: () => debug.stack(),
      sources: () => debug.sources(),
      variables: ({ frame, statics }) => debug.variables(frame, statics ?? false),
      children: ({ ref }) => debug.children(ref),
      evaluate: ({ expression, frame }) => debug.evaluate(expression, frame),
      setVariable: ({ ref, value }) => debug.setVariable(ref, value),
      lookup: ({ query }) => debug.lookup(query),
      consoleInput: ({ bytes }) => debug.consoleInput(bytes),
      faultOptions: ({ breakOnProcessFaults }) => debug.setFaultOptions(breakOnProcessFaults),
      gdbServer: ({ on, port }) => debug.gdbServer(on, port),
    },
    tock: {
      cells: async () => unavailable(await tock.cells()),
      dma: async () => unavailable(await tock.dma()),
      processes: async () => unavailable(await tock.processes()),
      processAction: async (args) => unavailable(await tock.processAction(args)),
      timeline: async () => unavailable(await tock.timeline()),
      record: async ({ on }) => unavailable(await tock.record(on)),
      clearTimeline: async () => unavailable(await tock.clearTimeline()),
      liveCells: ({ on }) => {
        tock.liveCells(on, debug, (view) => emit('tock.cells', view));
        return { ok: true, value: null };
      },
      exportTimeline: async () => unavailable(await tock.exportTimeline()),
      timelineSource: async ({ pc, exception, syscall, seq }) => {
        const at = unavailable(
          await tock.eventAddress({
            ...(pc !== undefined ? { pc } : {}),
            ...(exception !== undefined ? { exception } : {}),
          }),
        );
        if (!at.ok) return at;
        // A system call opens the app's line that makes it, not the runtime's svc: its stack,
        // kept at the call, unwound to the first frame in the app's own crate; without it
        // (not kept), the svc's inline chain.
        const program = debug.program;
        let site: SourceLocation | null = null;
        if (syscall && seq !== undefined && program?.stackedLineChain) {
          const kept = await tock.syscallStack(seq);
          if (kept.ok && kept.value)
            site = callSites.appCallSite(
              await program.stackedLineChain(
                kept.value.frame,
                kept.value.bytes,
                kept.value.r4to11,
                kept.value.read,
              ),
            );
        }
        if (!site && syscall && program?.lineChain)
          site = callSites.appCallSite(program.lineChain(at.value));
        if (site) return { ok: true, value: site };
        const line = debug.program?.lineAt(at.value);
        if (!line)
          return {
            ok: false,
            error: {
              code: 'unavailable',
              message: `No source line for 0x${at.value.toString(16)} in the session's debug information.`,
            },
          };
        return { ok: true, value: sourceLocation(projectRoot, line.file, line.line, line.column) };
      },
    },
    breakpoints: {
      list: () => ({ ok: true, value: debug.list() }),
      set: ({ path: p, breakpoints }) => debug.setBreakpoints(p, breakpoints),
      setInstructions: ({ addresses }) => debug.setInstructionBreakpoints(addresses),
    },
    boards: {
      list: () => attached.list(),
      addPort: ({ path: p }) => attached.addPort(p),
      removePort: ({ path: p }) => attached.removePort(p),
    },
    bootloader: {
      open: ({ path: p, board }) => bootloader.open(p, board),
      apps: ({ path: p }) => bootloader.apps(p),
      install: ({ path: p, file }) => bootloader.install(p, file),
      uninstall: ({ path: p, name }) => bootloader.uninstall(p, name),
      eraseApps: ({ path: p, force }) => bootloader.eraseApps(p, force),
      setAttribute: ({ path: p, index, key, value }) =>
        bootloader.setAttribute(p, index, key, value),
      exit: ({ path: p }) => bootloader.exit(p),
      close: ({ path: p }) => bootloader.close(p),
      appFiles: ({ board }) => bootloader.appFiles(board),
      flashKernel: ({ path: p, file }) => bootloader.flashKernel(p, file),
      kernelFiles: ({ board }) => bootloader.kernelFiles(board),
    },
    serialConsole: {
      open: ({ path: p, baudRate, logFile }) =>
        consoles.open(p, logFile === undefined ? { baudRate } : { baudRate, logFile }),
      write: ({ path: p, bytes: b }) => consoles.write(p, b),
      setBaudRate: ({ path: p, baudRate }) => consoles.setBaudRate(p, baudRate),
      close: ({ path: p }) => consoles.close(p),
    },
  };

  async function dispatch(
    method: string,
    args: unknown,
    signal: AbortSignal = new AbortController().signal,
  ): Promise<Result<unknown>> {
    const spec = specFor(method);
    if (!spec) return err('bad-request', `unknown method "${method}"`);
    const checked = spec.args.check(args ?? {}, 'arguments');
    if (!checked.ok) return err('bad-request', `${method}: ${checked.error}`);
    if (signal.aborted) return cancelled(method);
    const [service, name] = method.split('.') as [string, string];
    const fn = (
      handlers as unknown as Record<
        string,
        Record<string, (a: unknown, ctx: { signal: AbortSignal }) => unknown>
      >
    )[service]![name]!;
    const aborted = new Promise<Result<unknown>>((resolve) =>
      signal.addEventListener('abort', () => resolve(cancelled(method)), { once: true }),
    );
    try {
      return await Promise.race([
        Promise.resolve(fn(checked.value, { signal })) as Promise<Result<unknown>>,
        aborted,
      ]);
    } catch (e) {
      return err('io', `${method} failed: ${(e as Error).message}`);
    }
  }

  return {
    api: createApi((method, args, callOpts) => dispatch(method, args, callOpts?.signal)),
    instance,
    debug,
    dispatch,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    connect(onEvents) {
      const calls = new Map<number, AbortController>();
      let queue: HostEvent[] = [];
      let scheduled = false;
      const flush = (): void => {
        scheduled = false;
        while (queue.length) {
          const batch = queue.slice(0, MAX_EVENTS_PER_BATCH);
          queue = queue.slice(batch.length);
          try {
            onEvents(batch);
          } catch {
            // The window went away; its close() follows.
          }
        }
      };
      const listener: EventListener = (name, payload) => {
        queue.push({ name, payload } as HostEvent);
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      };
      listeners.add(listener);
      windows++;
      // A window is open: the next Run's emulator worker starts loading (a spare, if on).
      debug.warmUp();
      let open = true;
      return {
        async call(id, method, args) {
          calls.get(id)?.abort();
          const controller = new AbortController();
          calls.set(id, controller);
          const result = await dispatch(method, args, controller.signal);
          if (calls.get(id) === controller) calls.delete(id);
          flush();
          return result;
        },
        cancel(id) {
          calls.get(id)?.abort();
          calls.delete(id);
        },
        close() {
          if (open) {
            open = false;
            // The last window closed: the emulator worker (or QEMU) ends with it.
            if (--windows === 0) void debug.dispose();
          }
          listeners.delete(listener);
          for (const c of calls.values()) c.abort();
          calls.clear();
          queue = [];
        },
      };
    },
    dispose() {
      peripherals.dispose();
      void debug.dispose();
      project.dispose();
      files.dispose();
      build.dispose();
      attached.dispose();
      void bootloader.dispose().then(() => consoles.dispose());
      listeners.clear();
    },
  };
}
