/**
 * The bottom panels, in tab order. A panel is one component file plus one entry here: its id
 * (also the tab's title), the component, and optionally a badge on its tab. The debugging work
 * adds Call Stack, Variables, Watch, Registers, Memory, Disassembly, Console and Faults the
 * same way.
 */
import type { ComponentType } from 'react';
import type { Studio } from '../studio';
import { BuildPanel } from './BuildPanel';
import { ProblemsPanel, problemsBadge } from './ProblemsPanel';
import { sessionPanel } from './SessionPanel';

export interface PanelBadge {
  count: number;
  level: 'error' | 'warning' | 'info';
  title: string;
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
  sessionPanel('Console', "the kernel's console output (UART) and a prompt to its process console"),
  sessionPanel(
    'Processes',
    'each process of the running kernel: state, memory regions, grants, upcalls',
  ),
  sessionPanel('Cells', "the kernel's TakeCell / MapCell contents and who holds them"),
  sessionPanel('DMA', 'buffers handed to DMA-capable peripherals and their ownership'),
  sessionPanel(
    'Peripherals',
    'memory-mapped peripheral registers decoded from the chip description (SVD)',
  ),
  sessionPanel('Registers', 'the Cortex-M core registers of the stopped target'),
  sessionPanel('Memory', 'a hex view of target memory'),
];

export function panelById(id: string): PanelDefinition {
  return PANELS.find((p) => p.id === id) ?? PANELS[0]!;
}
