/**
 * The panels, in tab order. A panel is one component file plus one entry here: its id (also the
 * tab's title), the component, and optionally a badge on its tab. The bottom strip holds the
 * build and session panels; the Run and Debug side view stacks the `SIDE_VIEWS` (Call Stack,
 * Variables, Watch, Breakpoints, GDB Server) as a debugger shows them. The Tock views
 * (Processes, Fault Explainer, Cells, DMA, Timeline) read the kernel through the host's
 * TockService.
 */
import type { ComponentType } from 'react';
import type { Studio } from '../studio';
import { BoardsPanel } from './BoardsPanel';
import { BuildPanel } from './BuildPanel';
import { ProblemsPanel, problemsBadge } from './ProblemsPanel';
import { AccessLogPanel } from './AccessLogPanel';
import { BoardPanel } from './BoardPanel';
import { ConnectionsPanel } from './ConnectionsPanel';
import { InterruptsPanel } from './InterruptsPanel';
import { PeripheralsPanel } from './PeripheralsPanel';
import { BreakpointsView } from './debug/BreakpointsView';
import { CallStackView } from './debug/CallStackView';
import { ConsolePanel } from './debug/ConsolePanel';
import { DisassemblyPanel } from './debug/DisassemblyPanel';
import { FaultsPanel, faultsBadge } from './debug/FaultsPanel';
import { GdbServerView } from './debug/GdbServerView';
import { MemoryPanel } from './debug/MemoryPanel';
import { RegistersPanel } from './debug/RegistersPanel';
import { VariablesView } from './debug/VariablesView';
import { WatchView } from './debug/WatchView';
import { CellsPanel } from './tock/CellsPanel';
import { DmaPanel } from './tock/DmaPanel';
import { FaultExplainerPanel } from './tock/FaultExplainerPanel';
import { GrantsPanel } from './tock/GrantsPanel';
import { ProcessesPanel } from './tock/ProcessesPanel';
import { TimelinePanel } from './tock/TimelinePanel';

export interface PanelBadge {
  count: number;
  level: 'error' | 'warning' | 'info';
  title: string;
  /** What the badge reads instead of the bare count ("2 handled"), when a number alone misleads. */
  text?: string;
}

export interface PanelDefinition {
  id: string;
  component: ComponentType<{ studio: Studio }>;
  /** Reads the models it needs; re-evaluated on every render of the tab strip. */
  badge?: (studio: Studio) => PanelBadge | null;
}

export const PANELS: PanelDefinition[] = [
  { id: 'Build', component: BuildPanel },
  { id: 'Problems', component: ProblemsPanel, badge: problemsBadge },
  { id: 'Console', component: ConsolePanel },
  { id: 'Registers', component: RegistersPanel },
  { id: 'Memory', component: MemoryPanel },
  { id: 'Disassembly', component: DisassemblyPanel },
  { id: 'Faults', component: FaultsPanel, badge: faultsBadge },
  { id: 'Boards', component: BoardsPanel },
  { id: 'Processes', component: ProcessesPanel },
  { id: 'Grants', component: GrantsPanel },
  { id: 'Fault Explainer', component: FaultExplainerPanel },
  { id: 'Cells', component: CellsPanel },
  { id: 'DMA', component: DmaPanel },
  { id: 'Timeline', component: TimelinePanel },
  { id: 'Peripherals', component: PeripheralsPanel },
  { id: 'Interrupts', component: InterruptsPanel },
  { id: 'Access Log', component: AccessLogPanel },
  { id: 'Connections', component: ConnectionsPanel },
  { id: 'Board', component: BoardPanel },
];

/** The Run and Debug side view's sections, top to bottom. */
export const SIDE_VIEWS: PanelDefinition[] = [
  { id: 'Call Stack', component: CallStackView },
  { id: 'Variables', component: VariablesView },
  { id: 'Watch', component: WatchView },
  { id: 'Breakpoints', component: BreakpointsView },
  { id: 'GDB Server', component: GdbServerView },
];

export function panelById(id: string): PanelDefinition {
  return PANELS.find((p) => p.id === id) ?? PANELS[0]!;
}
