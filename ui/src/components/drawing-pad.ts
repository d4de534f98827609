import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';

/** Canvas pixels; shown at up to this many CSS pixels, scaled down on narrow screens. */
const SIZE = 280;
/** About a tenth of the pad: a digit drawn across it lands in the model's 28 x 28 with MNIST-like strokes. */
const PEN_WIDTH = 20;
const PEN = '#111111';
const PAPER = '#ffffff';

export interface DrawingPadHandle {
  /** The drawing as a PNG, on an opaque white background (the model sees no transparency). */
  toPng(): Promise<Blob>;
  clear(): void;
}

/** Dark pen on light paper, with a mouse, a pen or a finger (pointer events). */
export function DrawingPad({ handle, onInk, label }: { handle: { current: DrawingPadHandle | null }; onInk: (inked: boolean) => void; label: string }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const canvas = canvasRef.current!;
    const context = canvas.getContext('2d')!;
    const paper = (): void => {
      context.fillStyle = PAPER;
      context.fillRect(0, 0, canvas.width, canvas.height);
    };
    paper();
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.lineWidth = PEN_WIDTH;
    context.strokeStyle = PEN;
    context.fillStyle = PEN;

    let last: { x: number; y: number } | null = null;
    const at = (event: PointerEvent) => {
      const box = canvas.getBoundingClientRect();
      return { x: ((event.clientX - box.left) * canvas.width) / box.width, y: ((event.clientY - box.top) * canvas.height) / box.height };
    };
    const down = (event: PointerEvent): void => {
      if (event.pointerType === 'mouse' && event.button !== 0) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      last = at(event);
      context.fillStyle = PEN;
      context.beginPath();
      context.arc(last.x, last.y, PEN_WIDTH / 2, 0, Math.PI * 2);
      context.fill();
      onInk(true);
    };
    const move = (event: PointerEvent): void => {
      if (!last) return;
      const next = at(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    };
    const up = (): void => {
      last = null;
    };
    canvas.addEventListener('pointerdown', down);
    canvas.addEventListener('pointermove', move);
    canvas.addEventListener('pointerup', up);
    canvas.addEventListener('pointercancel', up);
    handle.current = {
      toPng: () =>
        new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the canvas gave no PNG'))), 'image/png')),
      clear: () => {
        paper();
        onInk(false);
      },
    };
    return () => {
      canvas.removeEventListener('pointerdown', down);
      canvas.removeEventListener('pointermove', move);
      canvas.removeEventListener('pointerup', up);
      canvas.removeEventListener('pointercancel', up);
      handle.current = null;
    };
  }, []);

  return html`<canvas ref=${canvasRef} class="pad" width=${SIZE} height=${SIZE} role="img" aria-label=${label}></canvas>`;
}
