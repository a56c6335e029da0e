/**
 * Renderer entry: connects to the host (Electron IPC or the browser-mode WebSocket) and mounts
 * the Capsule Studio window.
 */
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connectHost } from './client';
import './styles.css';

createRoot(document.getElementById('root')!).render(<App host={connectHost()} />);
