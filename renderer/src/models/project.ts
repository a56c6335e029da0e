/**
 * The project model: the open project (name, boards, file tree), the chosen board, and the
 * state of the link to the host.
 *
 * The tree is re-read when the host's folder watcher reports a change (a newer listing cancels
 * one still in flight). The board choice is kept per project in the browser's storage. After
 * the link comes back the host is asked who it is (`host.hello`): the same host carries on; a
 * restarted host on the same project is adopted (tree and info re-read, `onRestart` told); a
 * host that now serves another folder is not, and the page says so. While the link is down
 * `hostReady` is false and the commands that need the host are disabled.
 *
 * @example
 *   const project = new ProjectModel(host, localStorage);
 *   await project.load();
 */
import type { FileNode, ProjectInfo } from '../../../main/common/contract';
import type { HostConnection, LinkState } from '../client';
import type { KeyValueStore } from './layout';
import { Model } from './model';

export type Link = LinkState | 'other-project';

export interface ProjectState {
  info: ProjectInfo | null;
  tree: FileNode[];
  board: string;
  link: Link;
  /** The host restarted at least once while this page was open. */
  restarted: boolean;
  /** Why the project could not be loaded. */
  problem: string | null;
}

export class ProjectModel extends Model<ProjectState> {
  private instance: string | null = null;
  private listing: AbortController | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private restartListeners = new Set<() => void>();

  constructor(
    private readonly host: HostConnection,
    private readonly store: KeyValueStore,
  ) {
    super({ info: null, tree: [], board: '', link: 'connected', restarted: false, problem: null });
    host.onStatus((s) => {
      if (s === 'connected') void this.relink();
      else this.set({ link: s });
    });
    host.onEvent('project.treeChanged', () => this.refreshSoon());
  }

  get hostReady(): boolean {
    return this.state.link === 'connected';
  }

  onRestart(listener: () => void): () => void {
    this.restartListeners.add(listener);
    return () => this.restartListeners.delete(listener);
  }

  private boardKey(root: string): string {
    return `capsule.board.${root}`;
  }

  /** Reads the project info and tree (at start and after the host restarted). */
  async load(): Promise<void> {
    const hello = await this.host.api.host.hello({});
    if (hello.ok) this.instance = hello.value.instance;
    const i = await this.host.api.project.info({});
    if (!i.ok) {
      this.set({ problem: i.error.message });
      return;
    }
    const saved = this.store.getItem(this.boardKey(i.value.root));
    const board =
      saved && i.value.boards.includes(saved)
        ? saved
        : i.value.boards.includes(this.state.board)
          ? this.state.board
          : (i.value.boards[0] ?? '');
    this.set({ info: i.value, board, problem: null });
    await this.refreshTree();
  }

  private async relink(): Promise<void> {
    const hello = await this.host.api.host.hello({});
    if (!hello.ok) return;
    const root = this.state.info?.root;
    if (root && hello.value.projectRoot !== root) {
      this.set({ link: 'other-project' });
      return;
    }
    this.set({ link: 'connected' });
    if (this.instance !== null && hello.value.instance !== this.instance) {
      this.instance = hello.value.instance;
      this.set({ restarted: true });
      await this.load();
      for (const l of this.restartListeners) l();
    }
  }

  setBoard(board: string): void {
    if (!this.state.info?.boards.includes(board)) return;
    this.store.setItem(this.boardKey(this.state.info.root), board);
    this.set({ board });
  }

  refreshSoon(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refreshTree(), 50);
  }

  async refreshTree(): Promise<void> {
    this.listing?.abort();
    const listing = new AbortController();
    this.listing = listing;
    const t = await this.host.api.project.listFiles({}, { signal: listing.signal });
    if (listing.signal.aborted) return;
    this.listing = null;
    if (t.ok) this.set({ tree: t.value });
  }

  /** Every file of the tree, for quick open. */
  files(): string[] {
    const out: string[] = [];
    const walk = (nodes: FileNode[]): void => {
      for (const n of nodes) {
        if (n.kind === 'file') out.push(n.path);
        else if (n.children) walk(n.children);
      }
    };
    walk(this.state.tree);
    return out;
  }
}
