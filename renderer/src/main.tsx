/**
 * Renderer entry: connects to the host (Electron IPC or the browser-mode WebSocket), creates
 * the studio (models and commands) and mounts the Capsule Studio window.
 */
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectHost } from './client';
import { Studio } from './studio';
import './styles.css';

const studio = new Studio(connectHost(), localStorage);
createRoot(document.getElementById('root')!).render(<App studio={studio} />);
