/**
 * A splitter between two areas. A drag is measured from where it started: each pointer move
 * sets the size to (size at the start) + (distance moved since the start), so a drag made of
 * many small moves follows the pointer exactly.
 */
export function Splitter(props: {
  direction: 'x' | 'y';
  label: string;
  /** The size when the drag starts. */
  size: () => number;
  /** -1 when moving the pointer down/right makes the area smaller. */
  sign: 1 | -1;
  onResize: (size: number) => void;
}) {
  const onPointerDown = (e: React.PointerEvent) => {
    e.preventDefault();
    const start = props.direction === 'x' ? e.clientX : e.clientY;
    const startSize = props.size();
    const move = (ev: PointerEvent) => {
      const now = props.direction === 'x' ? ev.clientX : ev.clientY;
      props.onResize(startSize + props.sign * (now - start));
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  return (
    <div
      className={`splitter splitter-${props.direction}`}
      role="separator"
      aria-label={props.label}
      aria-orientation={props.direction === 'x' ? 'vertical' : 'horizontal'}
      onPointerDown={onPointerDown}
    />
  );
}
