/**
 * The peripherals model: what the Peripherals, Interrupts, Access Log, Connections and Board
 * panels show of the running session, fed by the host's `peripherals.*` calls and its
 * `peripherals.values` event (10 Hz while the emulator runs, once per stop elsewhere).
 *
 * It keeps the SVD as a tree (search, favourites kept per board), the values of the registers
 * the Peripherals panel shows with the previous ones (a value that changed is marked until the
 * next change elsewhere), and asks the host to watch exactly the registers that are visible:
 * the host never reads a register nobody looks at, and never reads a read-on-demand register
 * unless the person presses its Read button. The access log's entries are kept outside the
 * snapshot, as columns (`rows`, access-log-rows.ts): it holds up to 100,000 of them, fetched as
 * compact pages, and the table makes objects only for the rows it draws.
 *
 * @example
 *   const periph = new PeripheralsModel(host, localStorage);
 *   await periph.sessionChanged({ board: 'nrf52840dk', phase: 'running' });
 *   periph.expand('UARTE0');
 *   await periph.writeField(0x40002500, 'ENABLE', 'Disabled');
 */
import type {
  AccessLogEntry,
  AccessLogPage,
  AccessLogRows,
  BoardView,
  Connections,
  HostError,
  InterruptRow,
  PeripheralsDescription,
  RegisterReading,
} from '../../../main/common/contract';
import {
  registerTree,
  type ClusterNode,
  type PeripheralNode,
  type RegisterNode,
} from '../../../emulator/debug/peripherals/register-view';
import { RowsWriter } from '../../../main/common/access-log-rows';
import type { HostConnection } from '../client';
import { LogRows } from './access-log-rows';
import type { KeyValueStore } from './layout';
import { Model } from './model';

/** Most access-log entries kept in the window. */
export const LOG_LIMIT = 100_000;
/** Most entries fetched at one poll when the window has fallen behind. */
export const CATCH_UP = 20_000;
/**
 * Most entries fetched at one poll while the table follows the newest entries of a run: a tall
 * panel shows about 60 rows, the rest is margin. What the emulator records meanwhile scrolls
 * past faster than anyone reads (a flood records 10^7 accesses a second, the ring holds a few
 * tens of milliseconds of it), so fetching it all at every poll (CATCH_UP, 80,000 entries a
 * second copied out of the emulator's thread, named by the host and sent to the window) cost
 * the emulator more than recording them. Once the table stops following (a person scrolls up)
 * or the run stops, polls fetch up to CATCH_UP again, so there is history to scroll through.
 */
export const TAIL_PAGE = 1_000;

export interface RegisterValueState {
  value: number | null;
  /** The value before the last change (for the highlight), or null. */
  previous: number | null;
  /** Refresh count when it last changed. */
  changedAt: number;
  skipped?: string;
  error?: string;
}

export interface PeripheralsState {
  /** The session's board and phase, or null when no session runs. */
  session: { board: string; phase: string } | null;
  description: PeripheralsDescription | null;
  tree: PeripheralNode[];
  error: string | null;
  search: string;
  favourites: string[];
  /** Expanded peripherals and clusters, by path ('UARTE0', 'UARTE0/TXD'). */
  expanded: string[];
  /** The register whose fields are shown (by name: UART0 and UARTE0 share addresses). */
  selected: { address: number; name: string } | null;
  values: Record<number, RegisterValueState>;
  refreshes: number;
  /** A message after a write or a demand read ('UARTE0.ENABLE = 0x8'). */
  notice: { level: 'info' | 'error'; text: string } | null;
  board: BoardView | null;
  interrupts: InterruptRow[];
  connections: Connections | null;
  log: {
    on: boolean;
    /** Entries in `rows` (kept outside the snapshot). */
    count: number;
    /**
     * Unfiltered: entries not fetched (skipped while following, or gone from the emulator's ring
     * before a poll came). Filtered: entries the ring overwrote before a poll searched them (of
     * those, only what the emulator keeps apart was searched).
     */
    missed: number;
    /**
     * With a filter, while the table follows a run: older matches left out (a poll fetches only
     * the newest TAIL_PAGE of them).
     */
    passed: number;
    /**
     * With a filter: accesses the emulator's ring had already dropped when the filter was set,
     * so they were not searched, except what the emulator keeps apart (each peripheral's last
     * PERIPHERAL_QUOTA accesses, the debugger's reads and EasyDMA transfers).
     */
    unsearched: number;
    /**
     * Entries the window dropped to stay within LOG_LIMIT, per peripheral, most first: a flood
     * from one peripheral drops its own older entries, not the others' (LogRows.drop).
     */
    dropped: Array<{ peripheral: string; count: number }>;
    frequencyHz: number;
    peripheralFilter: string;
    registerFilter: string;
  };
}

const FAV_KEY = 'capsule.peripherals.favourites';

/** The entries the Access Log shows: all of `rows`, or those at the indexes `at`. */
export interface LogView {
  rows: LogRows;
  count: number;
  at: Int32Array | null;
}

export class PeripheralsModel extends Model<PeripheralsState> {
  /** The access log's entries, oldest first (at most LOG_LIMIT). */
  readonly rows = new LogRows(LOG_LIMIT);
  private logNext = 0;
  /** Sequence number of the next access the log will fetch (accesses recorded so far). */
  get logSequence(): number {
    return this.logNext;
  }
  private logTimer: ReturnType<typeof setInterval> | null = null;
  /** The Access Log's table shows the newest entries as they come (its "follow" box). */
  private logFollowing = true;

  constructor(
    private readonly host: HostConnection,
    private readonly store: KeyValueStore,
  ) {
    super({
      session: null,
      description: null,
      tree: [],
      error: null,
      search: '',
      favourites: [],
      expanded: [],
      selected: null,
      values: {},
      refreshes: 0,
      notice: null,
      board: null,
      interrupts: [],
      connections: null,
      log: {
        on: false,
        count: 0,
        missed: 0,
        passed: 0,
        dropped: [],
        unsearched: 0,
        frequencyHz: 64_000_000,
        peripheralFilter: '',
        registerFilter: '',
      },
    });
    host.onEvent('peripherals.values', (e) => {
      this.apply(e.values, e.board, e.interrupts);
      if (e.connections) this.set({ connections: e.connections });
    });
  }

  private message(e: HostError): string {
    return e.fix ? `${e.message} ${e.fix}` : e.message;
  }

  /** The debug session started, halted, ran or ended. */
  async sessionChanged(session: { board: string; phase: string } | null): Promise<void> {
    const before = this.state.session;
    this.set({ session });
    if (!session || session.phase === 'ended') {
      // The ended target's log went with it: the next session's target records nothing until
      // asked, so the toggle offers to record again rather than say it still does.
      this.stopLogPolling();
      this.set({ board: null, interrupts: [], log: { ...this.state.log, on: false } });
      return;
    }
    if (before?.board !== session.board || this.state.description === null) await this.describe();
  }

  /**
   * The session restarted from its reset vector (the log keeps recording across it). The "not
   * searched" count was about accesses made before the filter was set, in the run that was
   * restarted; the filtered polls search every access of the new run (any they miss count as
   * dropped), so the count no longer applies.
   */
  restarted(): void {
    // A reply to a filter set before the Restart may still be on its way: it must not say it.
    this.restartedSinceFilter = true;
    if (this.state.log.unsearched !== 0) this.set({ log: { ...this.state.log, unsearched: 0 } });
  }

  /**
   * Asks for the SVD (a megabyte): once at a time, so a session's start and its first stop,
   * arriving together, share one answer.
   */
  describe(): Promise<void> {
    this.describing ??= this.describeNow().finally(() => (this.describing = null));
    return this.describing;
  }
  private describing: Promise<void> | null = null;

  private async describeNow(): Promise<void> {
    // What the panel shows comes whole; the other peripherals' fields when they are shown.
    const board = this.state.session?.board;
    const detail = this.shownPeripherals(board ? this.loadFavourites(board) : []);
    const r = await this.host.api.peripherals.describe({ detail });
    if (!r.ok) {
      this.set({ description: null, tree: [], error: this.message(r.error) });
      return;
    }
    this.setDescription(r.value);
  }

  private setDescription(d: PeripheralsDescription): void {
    const favourites = this.loadFavourites(d.board);
    this.set({ description: d, tree: registerTree(d.device), error: null, favourites, values: {} });
    void this.watchVisible();
    void this.host.api.peripherals.board({}).then((b) => b.ok && this.set({ board: b.value }));
    void this.host.api.peripherals
      .interrupts({})
      .then((i) => i.ok && this.set({ interrupts: i.value }));
  }

  async loadSvd(path: string): Promise<void> {
    const r = await this.host.api.peripherals.loadSvd({ path });
    if (!r.ok) {
      this.set({ notice: { level: 'error', text: this.message(r.error) } });
      return;
    }
    this.setDescription(r.value);
    this.set({
      notice: {
        level: r.value.warnings.length ? 'error' : 'info',
        text: `Loaded ${path} (${r.value.device.name})${r.value.warnings.length ? `: ${r.value.warnings.join('; ')}` : ''}`,
      },
    });
  }

  async resetSvd(): Promise<void> {
    const r = await this.host.api.peripherals.resetSvd({});
    if (r.ok) this.setDescription(r.value);
  }

  // ---- tree -----------------------------------------------------------------------------------

  setSearch(search: string): void {
    this.set({ search });
    void this.watchVisible();
  }

  toggle(path: string): void {
    const e = new Set(this.state.expanded);
    if (e.has(path)) e.delete(path);
    else e.add(path);
    this.set({ expanded: [...e] });
    void this.watchVisible();
  }

  expand(path: string): void {
    if (!this.state.expanded.includes(path)) this.toggle(path);
  }

  select(selected: { address: number; name: string } | null): void {
    this.set({ selected });
    void this.watchVisible();
  }

  private loadFavourites(board: string): string[] {
    try {
      const all = JSON.parse(this.store.getItem(FAV_KEY) ?? '{}') as Record<string, string[]>;
      return Array.isArray(all[board]) ? all[board]! : [];
    } catch {
      return [];
    }
  }

  /** Favourites are peripheral or register names ('UARTE0', 'UARTE0.ENABLE'), per board. */
  toggleFavourite(name: string): void {
    const board = this.state.description?.board;
    if (!board) return;
    const f = new Set(this.state.favourites);
    if (f.has(name)) f.delete(name);
    else f.add(name);
    const favourites = [...f].sort();
    this.set({ favourites });
    let all: Record<string, string[]>;
    try {
      all = JSON.parse(this.store.getItem(FAV_KEY) ?? '{}') as Record<string, string[]>;
    } catch {
      all = {};
    }
    all[board] = favourites;
    this.store.setItem(FAV_KEY, JSON.stringify(all));
    void this.watchVisible();
  }

  /** The peripherals the tree shows: search matches (peripheral or register names), favourites first. */
  visiblePeripherals(): PeripheralNode[] {
    const q = this.state.search.trim().toLowerCase();
    const fav = new Set(this.state.favourites);
    const match = (p: PeripheralNode): boolean =>
      q === '' ||
      p.label.toLowerCase().includes(q) ||
      (p.peripheral.description ?? '').toLowerCase().includes(q) ||
      p.peripheral.registers.some((r) => `${p.label}.${r.name}`.toLowerCase().includes(q));
    const list = this.state.tree.filter(match);
    return [
      ...list.filter(
        (p) =>
          fav.has(p.label) || p.peripheral.registers.some((r) => fav.has(`${p.label}.${r.name}`)),
      ),
      ...list.filter(
        (p) =>
          !(
            fav.has(p.label) || p.peripheral.registers.some((r) => fav.has(`${p.label}.${r.name}`))
          ),
      ),
    ];
  }

  /** A node's children that match the search (all of them when the peripheral's name matches). */
  visibleChildren(
    p: PeripheralNode,
    nodes: (ClusterNode | RegisterNode)[],
  ): (ClusterNode | RegisterNode)[] {
    const q = this.state.search.trim().toLowerCase();
    if (q === '' || p.label.toLowerCase().includes(q)) return nodes;
    const keep = (n: ClusterNode | RegisterNode): boolean =>
      n.kind === 'register'
        ? `${p.label}.${n.register.name}`.toLowerCase().includes(q)
        : n.children.some(keep);
    return nodes.filter(keep);
  }

  /** Registers on screen: those of expanded peripherals/clusters, and the selected one. */
  private visibleRegisters(): RegisterNode[] {
    const out: RegisterNode[] = [];
    const open = new Set(this.state.expanded);
    const q = this.state.search.trim();
    for (const p of this.visiblePeripherals()) {
      const walk = (nodes: (ClusterNode | RegisterNode)[], path: string): void => {
        for (const n of this.visibleChildren(p, nodes)) {
          if (n.kind === 'register') out.push(n);
          else if (open.has(`${path}/${n.label}`) || q !== '')
            walk(n.children, `${path}/${n.label}`);
        }
      };
      if (open.has(p.label)) walk(p.children, p.label);
    }
    return out;
  }

  /** Peripherals the panel shows registers' fields of: expanded, selected or favourite. */
  private shownPeripherals(favourites = this.state.favourites): string[] {
    const names = new Set<string>();
    for (const path of this.state.expanded) names.add(path.split('/')[0]!);
    for (const f of favourites) names.add(f.split('.')[0]!);
    if (this.state.selected !== null) names.add(this.state.selected.name.split('.')[0]!);
    return [...names];
  }

  /** Peripherals being asked for whole (see `detailShown`). */
  private readonly detailing = new Set<string>();

  /**
   * Asks for the peripherals the panel now shows whole whose fields the description left out
   * (`partial`), and puts them into the description and the tree.
   */
  private async detailShown(): Promise<void> {
    const asked = this.state.description;
    if (!asked?.partial?.length) return;
    const partial = new Set(asked.partial);
    const want = this.shownPeripherals().filter((n) => partial.has(n) && !this.detailing.has(n));
    if (want.length === 0) return;
    for (const n of want) this.detailing.add(n);
    const r = await this.host.api.peripherals.detail({ names: want });
    for (const n of want) this.detailing.delete(n);
    const d = this.state.description;
    // Another description meanwhile (another board, the person's SVD): not for it.
    if (!r.ok || d === null || d.board !== asked.board || d.path !== asked.path) return;
    const whole = new Map(r.value.map((p) => [p.name, p]));
    const device = {
      ...d.device,
      peripherals: d.device.peripherals.map((p) => whole.get(p.name) ?? p),
    };
    const left = (d.partial ?? []).filter((n) => !whole.has(n));
    this.set({
      description: { ...d, device, partial: left },
      tree: registerTree(device),
    });
  }

  private async watchVisible(): Promise<void> {
    void this.detailShown();
    const addresses = this.visibleRegisters()
      .filter((r) => r.policy.kind === 'live')
      .map((r) => r.address);
    const sel = this.state.selected;
    if (sel !== null && !addresses.includes(sel.address)) addresses.push(sel.address);
    await this.host.api.peripherals.watch({
      addresses: addresses.slice(0, 4096),
      ...(this.connectionViews > 0 ? { connections: true } : {}),
    });
  }

  /** Open Connections panels: while one is, the host reads PPI/EasyDMA/shortcuts with each refresh. */
  private connectionViews = 0;

  /** A Connections panel opened (returns its closing): live through the values events. */
  watchConnections(): () => void {
    this.connectionViews++;
    void this.loadConnections();
    void this.watchVisible();
    return () => {
      this.connectionViews--;
      if (this.connectionViews === 0) void this.watchVisible();
    };
  }

  private apply(
    values: RegisterReading[],
    board: BoardView | null,
    interrupts: InterruptRow[],
  ): void {
    const n = this.state.refreshes + 1;
    const next = { ...this.state.values };
    for (const v of values) {
      const old = next[v.address];
      const changed =
        old !== undefined && old.value !== null && v.value !== null && old.value !== v.value;
      next[v.address] = {
        value: v.value,
        previous: changed ? old!.value : (old?.previous ?? null),
        changedAt: changed ? n : (old?.changedAt ?? 0),
        ...(v.skipped ? { skipped: v.skipped } : {}),
        ...(v.error ? { error: v.error } : {}),
      };
    }
    this.set({ values: next, refreshes: n, ...(board ? { board } : {}), interrupts });
  }

  /** Reads a read-on-demand register once, because the person asked. */
  async readOnDemand(address: number, name: string): Promise<void> {
    const r = await this.host.api.peripherals.read({ addresses: [address], demand: true });
    if (!r.ok) {
      this.set({ notice: { level: 'error', text: this.message(r.error) } });
      return;
    }
    this.apply(r.value, null, this.state.interrupts);
    const v = r.value[0];
    this.set({
      notice:
        v?.value !== null && v?.value !== undefined
          ? { level: 'info', text: `Read ${name} on demand: 0x${v.value.toString(16)}` }
          : { level: 'error', text: `${name}: ${v?.error ?? v?.skipped ?? 'not read'}` },
    });
  }

  async writeField(address: number, field: string, input: string, name: string): Promise<boolean> {
    return this.write({ address, field, input }, `${name}.${field}`);
  }

  async writeValue(address: number, value: number, name: string): Promise<boolean> {
    return this.write({ address, value }, name);
  }

  private async write(
    args: { address: number; value?: number; field?: string; input?: string },
    name: string,
  ): Promise<boolean> {
    const r = await this.host.api.peripherals.write(args);
    if (!r.ok) {
      this.set({ notice: { level: 'error', text: this.message(r.error) } });
      return false;
    }
    this.apply([r.value], null, this.state.interrupts);
    this.set({
      notice: {
        level: 'info',
        text:
          r.value.value !== null
            ? `Wrote ${name}; read back 0x${r.value.value.toString(16)}`
            : `Wrote ${name}; not read back (${r.value.skipped ?? r.value.error ?? 'unreadable'})`,
      },
    });
    return true;
  }

  // ---- board, interrupts, connections ---------------------------------------------------------

  /**
   * Asks for the board view now (the Board panel does until the first refresh brings it). One
   * at a time: the panel asks every 500 ms, and on a loaded machine an answer can take longer
   * (each piled-up request was more work for the worker the drawing waits for); a call while
   * one is out shares it.
   */
  loadBoard(): Promise<void> {
    this.boardLoad ??= this.host.api.peripherals
      .board({})
      .then((r) => {
        if (r.ok) this.set({ board: r.value });
      })
      .finally(() => {
        this.boardLoad = null;
      });
    return this.boardLoad;
  }
  private boardLoad: Promise<void> | null = null;

  async button(name: string, pressed: boolean): Promise<void> {
    const r = await this.host.api.peripherals.button({ name, pressed });
    if (!r.ok) this.set({ notice: { level: 'error', text: this.message(r.error) } });
  }

  async loadConnections(): Promise<void> {
    const r = await this.host.api.peripherals.connections({});
    if (r.ok) this.set({ connections: r.value });
    else this.set({ notice: { level: 'error', text: this.message(r.error) } });
  }

  // ---- access log -----------------------------------------------------------------------------

  async setLogging(on: boolean): Promise<void> {
    const r = await this.host.api.peripherals.log({ enable: on, since: this.logNext, max: 0 });
    if (!r.ok) {
      this.set({ notice: { level: 'error', text: this.message(r.error) } });
      return;
    }
    this.set({ log: { ...this.state.log, on: r.value.on, frequencyHz: r.value.frequencyHz } });
    if (on) this.startLogPolling();
    else {
      await this.pollLog();
      this.stopLogPolling();
    }
  }

  clearLog(): void {
    this.rows.clear();
    void this.host.api.peripherals.log({ clear: true, max: 0 }).then((r) => {
      if (r.ok) this.logNext = r.value.next;
    });
    this.set({
      log: { ...this.state.log, count: 0, missed: 0, passed: 0, unsearched: 0, dropped: [] },
    });
  }

  /**
   * Filters apply in the host, before the log's window: the entries are fetched again from the
   * oldest the emulator holds, matching ones only, so a filtered view never lacks a match that
   * the kernel's other accesses pushed out of the window.
   */
  setLogFilter(patch: { peripheralFilter?: string; registerFilter?: string }): void {
    this.refetchLog(patch);
  }

  /** Fetches the (filtered) entries again from the oldest the emulator holds (`setLogFilter`). */
  private refetchLog(patch: { peripheralFilter?: string; registerFilter?: string }): void {
    this.set({
      log: {
        ...this.state.log,
        ...patch,
        count: 0,
        missed: 0,
        passed: 0,
        unsearched: 0,
        dropped: [],
      },
    });
    this.rows.clear();
    this.logNext = 0;
    this.refetch = true;
    this.restartedSinceFilter = false;
    this.logGeneration++;
    void this.pollLog();
  }

  private logGeneration = 0;
  /** The next reply starts from the oldest entry on purpose: what it skipped is not "missed". */
  private refetch = false;
  /** A Restart came after the filter was set (see `restarted`). */
  private restartedSinceFilter = false;
  private pollAgain = false;

  private filterArgs(): { peripheral?: string; register?: string } {
    const { peripheralFilter: p, registerFilter: r } = this.state.log;
    return {
      ...(p.trim() ? { peripheral: p.trim() } : {}),
      ...(r.trim() ? { register: r.trim() } : {}),
    };
  }

  /**
   * Adds entries, keeping at most LOG_LIMIT: the oldest go first, except the debugger's own
   * accesses (reads asked for on demand), which stay.
   */
  private append(page: { entries: AccessLogEntry[]; rows?: AccessLogRows }): void {
    if (page.rows) this.rows.append(page.rows);
    else if (page.entries.length > 0) {
      const w = new RowsWriter(page.entries.length);
      for (const e of page.entries) w.add(e);
      this.rows.append(w.finish());
    }
    if (this.rows.dropped.size !== this.state.log.dropped.length || this.rows.dropped.size > 0)
      this.set({ log: { ...this.state.log, dropped: droppedList(this.rows.dropped) } });
  }

  /** The entries that pass the filters (a new view only when something changed). */
  private filteredCache: { key: string; out: LogView } | null = null;
  filtered(): LogView {
    const { peripheralFilter, registerFilter } = this.state.log;
    const rows = this.rows;
    const key = `${rows.version}\0${peripheralFilter}\0${registerFilter}`;
    if (this.filteredCache?.key === key) return this.filteredCache.out;
    const out = filterRows(rows, peripheralFilter, registerFilter);
    this.filteredCache = { key, out };
    return out;
  }

  /**
   * The table follows the newest entries, or not (a person unticked "follow"): following a run,
   * polls fetch only its newest page (TAIL_PAGE); not following, the next poll comes now and
   * fetches up to CATCH_UP. A filtered view that passed over older matches while following
   * fetches its matches again from the oldest the emulator holds (as a new filter does): the
   * person stopped following to read back, and the table only appends, so the skipped matches
   * could not be slotted in before the ones it has.
   */
  setLogFollowing(on: boolean): void {
    if (on === this.logFollowing) return;
    this.logFollowing = on;
    if (on) return;
    const { peripheralFilter: p, registerFilter: r } = this.state.log;
    if ((p.trim() !== '' || r.trim() !== '') && this.state.log.passed > 0) this.refetchLog({});
    else if (this.logTimer !== null) void this.pollLog();
  }

  /**
   * How far back an unfiltered poll fetches: the newest page while the table follows a run
   * (a session known to be stopped has nothing more coming: the poll fetches all it may).
   */
  private logReach(): number {
    const phase = this.state.session?.phase;
    const stopped = phase !== undefined && phase !== 'running';
    return this.logFollowing && !stopped ? TAIL_PAGE : CATCH_UP;
  }

  private startLogPolling(): void {
    if (this.logTimer !== null) return;
    this.logTimer = setInterval(() => void this.pollLog(), 250);
  }

  private stopLogPolling(): void {
    if (this.logTimer !== null) clearInterval(this.logTimer);
    this.logTimer = null;
  }

  private polling = false;
  async pollLog(): Promise<void> {
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    const gen = this.logGeneration;
    try {
      const filter = this.filterArgs();
      const filtered = filter.peripheral !== undefined || filter.register !== undefined;
      // Unfiltered and behind by more than the view needs (a kernel polling a register makes
      // ~10^5 accesses a second): skip to the newest entries (TAIL_PAGE while the table follows
      // a run, else CATCH_UP: logReach) and count the rest as missed, but keep the debugger's
      // own accesses, EasyDMA transfers and the quiet peripherals' entries from the stretch
      // skipped (what the emulator keeps apart).
      // Unfiltered, a poll fetches no further than the head it saw first: what the emulator
      // records meanwhile is the next poll's. Chasing it, a poll during a flood (10^7 accesses a
      // second) fetched all its ten pages every time: 400,000 entries a second named by the
      // host and copied out of the emulator's thread, most of them dropped again by the window.
      let until: number | undefined;
      if (!filtered && this.logReach() === TAIL_PAGE) {
        await this.pollTail(gen);
        return;
      }
      if (!filtered) {
        const head = await this.host.api.peripherals.log({ max: 0 });
        if (gen !== this.logGeneration) return;
        if (head.ok) until = head.value.next;
        const reach = this.logReach();
        if (head.ok && head.value.next - this.logNext > reach) {
          const skipTo = head.value.next - reach;
          const dbg = await this.host.api.peripherals.log({
            since: this.logNext,
            until: skipTo,
            debuggerOnly: true,
            max: 20_000,
            compact: true,
          });
          if (gen !== this.logGeneration) return;
          if (dbg.ok) this.append(dbg.value);
          const fetched = dbg.ok ? (dbg.value.rows?.count ?? dbg.value.entries.length) : 0;
          const skipped = skipTo - this.logNext - fetched;
          this.logNext = skipTo;
          if (!this.refetch)
            this.set({ log: { ...this.state.log, missed: this.state.log.missed + skipped } });
          this.refetch = false;
        }
      }
      // Filtered and following a run: only the newest matches (TAIL_PAGE), searched backwards
      // in the emulator. A filter matching a flood itself (UARTE0 while the UART floods) else
      // fetched every match, up to ten pages a poll, like the unfiltered poll used to.
      if (filtered && this.logReach() === TAIL_PAGE) {
        const r = await this.host.api.peripherals.log({
          since: this.logNext,
          max: TAIL_PAGE,
          newest: true,
          ...filter,
          compact: true,
        });
        if (gen === this.logGeneration && r.ok) this.take(r.value, filtered);
        return;
      }
      for (let round = 0; round < 10; round++) {
        const r = await this.host.api.peripherals.log({
          since: this.logNext,
          ...(until !== undefined ? { until } : {}),
          max: 10_000,
          ...filter,
          compact: true,
        });
        if (gen !== this.logGeneration || !r.ok) return;
        this.take(r.value, filtered);
        if ((r.value.rows?.count ?? r.value.entries.length) < 10_000) return;
        if (until !== undefined && this.logNext >= until) return;
      }
    } finally {
      this.polling = false;
      if (this.pollAgain) {
        this.pollAgain = false;
        void this.pollLog();
      }
    }
  }

  /**
   * Unfiltered and following a run: the newest page in one request (the emulator takes it
   * from its head when it answers), then the debugger's, EasyDMA's and quiet peripherals' kept
   * entries from the stretch the page skipped. Asking for the head first and the page after it
   * lost to a flood: the emulator's ring (2^17 entries) holds a few milliseconds of a UART
   * flood on a fast machine, less than the round trips between the two requests, so the page
   * asked for was gone by the time it was read and the table stayed empty.
   */
  private async pollTail(gen: number): Promise<void> {
    const tail = await this.host.api.peripherals.log({
      since: this.logNext,
      max: TAIL_PAGE,
      newest: true,
      compact: true,
    });
    if (gen !== this.logGeneration || !tail.ok) return;
    const page = tail.value;
    const first = page.next - (page.rows?.count ?? page.entries.length);
    let kept = 0;
    if (first > this.logNext) {
      const dbg = await this.host.api.peripherals.log({
        since: this.logNext,
        until: first,
        debuggerOnly: true,
        max: 20_000,
        compact: true,
      });
      if (gen !== this.logGeneration) return;
      if (dbg.ok) {
        this.append(dbg.value);
        kept = dbg.value.rows?.count ?? dbg.value.entries.length;
      }
    }
    // What the page left out (dropped by the ring or passed over for the newest) and the kept
    // entries did not bring back counts as missed, as a skip ahead does.
    const skipped = Math.max(0, first - this.logNext - kept);
    this.take({ ...page, missed: skipped, passed: 0 }, false);
  }

  /** Adds a page `pollLog` fetched and counts what it says was missed or passed over. */
  private take(page: AccessLogPage, filtered: boolean): void {
    this.logNext = page.next;
    this.append(page);
    const missed = this.refetch ? 0 : page.missed;
    const unsearched =
      this.refetch && filtered && !this.restartedSinceFilter
        ? page.missed
        : this.state.log.unsearched;
    this.refetch = false;
    this.set({
      log: {
        ...this.state.log,
        on: page.on,
        count: this.rows.length,
        missed: this.state.log.missed + missed,
        passed: this.state.log.passed + (page.passed ?? 0),
        unsearched,
        frequencyHz: page.frequencyHz,
      },
    });
  }

  /** Only for tests of the model and the table: entries as if the host had sent them. */
  appendEntries(entries: AccessLogEntry[]): void {
    this.append({ entries });
    this.set({ log: { ...this.state.log, count: this.rows.length } });
  }

  dispose(): void {
    this.stopLogPolling();
  }
}

/** `LogRows.dropped` as the panel lists it: most first. */
function droppedList(
  dropped: ReadonlyMap<string, number>,
): Array<{ peripheral: string; count: number }> {
  return [...dropped]
    .map(([peripheral, count]) => ({ peripheral, count }))
    .sort((a, b) => b.count - a.count || a.peripheral.localeCompare(b.peripheral));
}

/**
 * The entries of `rows` whose peripheral is `peripheralFilter` (exact, any case) and whose
 * register name contains `registerFilter` (empty: any).
 */
export function filterRows(
  rows: LogRows,
  peripheralFilter: string,
  registerFilter: string,
): LogView {
  const p = peripheralFilter.trim().toLowerCase();
  const r = registerFilter.trim().toLowerCase();
  if (p === '' && r === '') return { rows, count: rows.length, at: null };
  // Names are few: each is tested once, then entries by index.
  const memo = (f: (s: string) => boolean) => {
    const seen = new Map<number, boolean>();
    return (id: number): boolean => {
      let v = seen.get(id);
      if (v === undefined) seen.set(id, (v = f((rows.name(id) ?? '').toLowerCase())));
      return v;
    };
  };
  const peripheralPasses = memo((s) => s === p);
  const registerPasses = memo((s) => s.includes(r));
  const at = new Int32Array(rows.length);
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    if (p !== '' && !peripheralPasses(rows.peripheralId(i))) continue;
    if (r !== '' && !registerPasses(rows.registerId(i))) continue;
    at[n++] = i;
  }
  return { rows, count: n, at: at.subarray(0, n) };
}
