/**
 * The Board panel: a drawing of the board (nRF52840-DK or micro:bit v2) with its LEDs lit as
 * the firmware drives them and buttons a person can click or hold to drive the emulated GPIO.
 * The micro:bit's 5x5 matrix is multiplexed (one row at a time): each pixel is drawn as bright
 * as the share of time it was lit since the last refresh, as the eye sees it. Hovering an LED,
 * a button or a pin shows the pin's state (direction, output and input level) and which
 * peripheral has it. On real boards the LEDs follow the GPIO registers at each halt.
 */
import { useEffect } from 'react';
import type { BoardView, PinView } from '../../../main/common/contract';
import type { PeripheralsModel } from '../models/peripherals';
import { useModel } from '../models/use';
import type { Studio } from '../studio';
import { unavailable } from './PeripheralsPanel';

const pinName = (p: { port: number; pin: number }) =>
  `P${p.port}.${String(p.pin).padStart(2, '0')}`;

export function pinTitle(board: BoardView, p: { port: number; pin: number }): string {
  const v = board.pins.find((x) => x.port === p.port && x.pin === p.pin);
  if (!v) return pinName(p);
  return describePin(v);
}

function describePin(v: PinView): string {
  const dir = v.output ? `output ${v.out ? 'high' : 'low'}` : 'input';
  const fn = v.functions.length ? `; ${v.functions.join(', ')}` : '; GPIO';
  return `${pinName(v)}: ${dir}, reads ${v.in ? 'high' : 'low'}${fn}`;
}

/** Button handlers: pressed while the pointer is down on it (click = short press, hold = hold). */
function buttonProps(model: PeripheralsModel, name: string) {
  return {
    onPointerDown: (e: React.PointerEvent) => {
      (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
      void model.button(name, true);
    },
    onPointerUp: () => void model.button(name, false),
    onPointerCancel: () => void model.button(name, false),
    style: { cursor: 'pointer' },
    'data-button': name,
    role: 'button',
    'aria-label': `Button ${name}`,
  };
}

function ledFill(duty: number, color: string): { fill: string; opacity: number } {
  return duty > 0
    ? { fill: color, opacity: 0.25 + 0.75 * Math.min(1, duty) }
    : { fill: '#3a3a3a', opacity: 1 };
}

function Dk({ board, model }: { board: BoardView; model: PeripheralsModel }) {
  return (
    <svg className="board-svg" viewBox="0 0 680 320" data-board="nrf52840dk">
      <rect x={4} y={4} width={672} height={312} rx={12} className="pcb-dk" />
      <text x={20} y={30} className="silk">
        nRF52840 DK
      </text>
      {/* The debug probe's USB and the nRF USB, the chip, the headers. */}
      <rect x={-6} y={60} width={40} height={36} className="metal" />
      <text x={40} y={84} className="silk small">
        J-Link USB
      </text>
      <rect x={-6} y={240} width={40} height={36} className="metal" />
      <text x={40} y={262} className="silk small">
        nRF USB
      </text>
      <rect x={300} y={110} width={70} height={70} className="chip" />
      <text x={335} y={150} className="chip-text" textAnchor="middle">
        nRF52840
      </text>
      {Array.from({ length: 20 }, (_, i) => (
        <rect key={`h${i}`} x={180 + i * 22} y={12} width={14} height={14} className="header-pin" />
      ))}
      {board.leds.map((l, i) => {
        const f = ledFill(l.duty, '#4cff4c');
        const x = 470 + (i % 2) * 70;
        const y = 100 + Math.floor(i / 2) * 60;
        return (
          <g
            key={l.name}
            data-led={l.name}
            data-lit={l.lit ? '1' : '0'}
            data-duty={l.duty.toFixed(2)}
          >
            <title>{`${l.name} (${l.lit ? 'lit' : 'off'}) — ${pinTitle(board, l.pins[0]!)}`}</title>
            <rect
              x={x}
              y={y}
              width={26}
              height={16}
              rx={3}
              fill={f.fill}
              opacity={f.opacity}
              className="led"
            />
            {l.duty > 0 ? (
              <circle cx={x + 13} cy={y + 8} r={18} className="glow" opacity={f.opacity * 0.5} />
            ) : null}
            <text x={x + 13} y={y + 32} className="silk small" textAnchor="middle">
              {l.name}
            </text>
          </g>
        );
      })}
      {board.buttons.map((b, i) => {
        const x = 110 + (i % 2) * 80;
        const y = 200 + Math.floor(i / 2) * 55;
        return (
          <g key={b.name} {...buttonProps(model, b.name)} data-pressed={b.pressed ? '1' : '0'}>
            <title>{`${b.name}: click or hold — ${pinTitle(board, b)}`}</title>
            <rect x={x} y={y} width={40} height={40} rx={4} className="button-base" />
            <circle
              cx={x + 20}
              cy={y + 20}
              r={13}
              className={b.pressed ? 'button-cap pressed' : 'button-cap'}
            />
            <text x={x + 20} y={y + 52} className="silk small" textAnchor="middle">
              {b.name.replace('BUTTON', 'Button ')}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function Microbit({ board, model }: { board: BoardView; model: PeripheralsModel }) {
  const m = board.matrix!;
  return (
    <svg className="board-svg" viewBox="0 0 520 420" data-board="microbit-v2">
      <path
        d="M20 20 h480 a10 10 0 0 1 10 10 v300 h-500 v-300 a10 10 0 0 1 10 -10 z"
        className="pcb-microbit"
      />
      <text x={260} y={48} className="silk" textAnchor="middle">
        micro:bit v2
      </text>
      {board.leds.map((l, i) => {
        const r = Math.floor(i / m.cols);
        const c = i % m.cols;
        const f = ledFill(l.duty, '#ff3b2f');
        const x = 170 + c * 40;
        const y = 80 + r * 40;
        return (
          <g
            key={l.name}
            data-led={l.name}
            data-lit={l.lit ? '1' : '0'}
            data-duty={l.duty.toFixed(2)}
          >
            <title>{`LED row ${r + 1}, column ${c + 1}: ${Math.round(l.duty * 100)}% lit — row ${pinTitle(board, l.pins[0]!)}; column ${pinTitle(board, l.pins[1]!)}`}</title>
            <rect
              x={x}
              y={y}
              width={10}
              height={22}
              rx={2}
              fill={f.fill}
              opacity={f.opacity}
              className="led"
            />
            {l.duty > 0 ? (
              <circle
                cx={x + 5}
                cy={y + 11}
                r={14}
                className="glow-red"
                opacity={f.opacity * 0.5}
              />
            ) : null}
          </g>
        );
      })}
      {board.buttons.map((b, i) => {
        const x = i === 0 ? 50 : 410;
        return (
          <g key={b.name} {...buttonProps(model, b.name)} data-pressed={b.pressed ? '1' : '0'}>
            <title>{`Button ${b.name}: click or hold — ${pinTitle(board, b)}`}</title>
            <rect x={x} y={150} width={60} height={60} rx={6} className="button-base" />
            <circle
              cx={x + 30}
              cy={180}
              r={19}
              className={b.pressed ? 'button-cap pressed' : 'button-cap'}
            />
            <text x={x + 30} y={232} className="silk" textAnchor="middle">
              {b.name}
            </text>
          </g>
        );
      })}
      {/* The edge connector: the big rings 0, 1, 2, 3V, GND. */}
      {['0', '1', '2', '3V', 'GND'].map((n, i) => (
        <g key={n}>
          <rect x={40 + i * 95} y={300} width={60} height={80} rx={6} className="gold" />
          <circle cx={70 + i * 95} cy={330} r={16} className="hole" />
          <text x={70 + i * 95} y={372} className="silk dark" textAnchor="middle">
            {n}
          </text>
        </g>
      ))}
    </svg>
  );
}

export function BoardPanel({ studio }: { studio: Studio }) {
  const model = studio.peripherals;
  const s = useModel(model);
  const missing = s.board === null && s.description !== null;
  useEffect(() => {
    if (!missing) return;
    void model.loadBoard();
    const t = setInterval(() => void model.loadBoard(), 500);
    return () => clearInterval(t);
  }, [model, missing]);
  const none = unavailable(s);
  if (none) return none;
  const b = s.board;
  if (!b)
    return (
      <div className="panel-empty">
        This board has no drawing yet (only the nRF52840-DK and the micro:bit v2 do).
      </div>
    );
  return (
    <div className="board-panel">
      <div className="board-drawing">
        {b.matrix ? <Microbit board={b} model={model} /> : <Dk board={b} model={model} />}
      </div>
      <div className="board-pins">
        <div className="dim">
          {b.live ? 'Live from the emulator.' : 'From the GPIO registers at the last halt.'} Hover a
          pin for its function.
        </div>
        <table className="pins">
          <tbody>
            {b.pins.map((p) => (
              <tr key={`${p.port}.${p.pin}`} title={describePin(p)} data-pin={pinName(p)}>
                <td className="mono">{pinName(p)}</td>
                <td>{p.output ? (p.out ? 'out high' : 'out low') : 'input'}</td>
                <td>{p.in ? 'reads 1' : 'reads 0'}</td>
                <td className="dim">{p.functions.join(', ') || 'GPIO'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
