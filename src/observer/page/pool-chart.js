// A small time chart per pool, drawn on a canvas: busy / idle / overflow / waiting as lines over the last two
// minutes, and the worst checkout wait of each second as bars beneath them.

/** Seconds of history a chart keeps. */
export const chartSeconds = 120;

/** The series and their colours; the page's CSS uses the same ones for gauges and states. */
export const series = [
  { key: 'busy', label: 'busy', colour: '#fbbf24' },
  { key: 'idle', label: 'idle', colour: '#34d399' },
  { key: 'overflow', label: 'overflow', colour: '#c084fc' },
  { key: 'waiting', label: 'waiting', colour: '#fb7185' },
];
const waitColour = '#38bdf8';

/**
 * @typedef {{ busy: number, idle: number, overflow: number, waiting: number, waitMs: number | undefined }} Sample
 */

/**
 * Size `canvas` for the screen's pixel ratio and clear it: its 2D context and CSS size, or undefined while hidden.
 * @param {HTMLCanvasElement} canvas
 */
export function prepareCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (width === 0 || height === 0) return undefined;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const context = canvas.getContext('2d');
  if (!context) return undefined;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  return { context, width, height };
}

/**
 * Draw `samples` (oldest first, one a second) on `canvas`.
 * @param {HTMLCanvasElement} canvas
 * @param {Sample[]} samples
 */
export function drawPoolChart(canvas, samples) {
  const prepared = prepareCanvas(canvas);
  if (!prepared) return;
  const { context, width, height } = prepared;

  const left = 30;
  const linesBottom = height * 0.68;
  const barsTop = height * 0.74;
  // A young chart fills its width (at least 30s of it) rather than hugging the right edge.
  const spanSeconds = Math.min(chartSeconds, Math.max(30, samples.length));
  const stepX = (width - left - 4) / (spanSeconds - 1);
  const xOf = (index) => left + (spanSeconds - samples.length + index) * stepX;

  const top = Math.max(1, ...samples.flatMap((sample) => series.map(({ key }) => sample[key])));
  const yOf = (value) => 6 + (linesBottom - 6) * (1 - value / top);
  context.font = '10px ui-monospace, SFMono-Regular, Menlo, monospace';
  context.fillStyle = '#6b7590';
  context.strokeStyle = 'rgba(148, 163, 184, 0.12)';
  context.lineWidth = 1;
  for (const value of [0, Math.ceil(top / 2), top]) {
    const y = Math.round(yOf(value)) + 0.5;
    context.beginPath();
    context.moveTo(left, y);
    context.lineTo(width, y);
    context.stroke();
    context.fillText(String(value), 4, y + 3);
  }

  context.lineWidth = 2;
  context.lineJoin = 'round';
  for (const { key, colour } of series) {
    context.strokeStyle = colour;
    context.beginPath();
    samples.forEach((sample, index) => {
      const x = xOf(index);
      const y = yOf(sample[key]);
      if (index === 0) context.moveTo(x, y);
      else context.lineTo(x, y);
    });
    context.stroke();
  }

  const waits = samples.map((sample) => sample.waitMs ?? 0);
  const worstWait = Math.max(...waits, 0);
  context.fillStyle = '#6b7590';
  context.fillText(worstWait > 0 ? `${Math.round(worstWait)}ms` : '0ms', 2, barsTop + 8);
  context.fillStyle = waitColour;
  const barsHeight = height - barsTop - 2;
  waits.forEach((wait, index) => {
    if (wait <= 0) return;
    const barHeight = Math.max(1.5, (barsHeight * wait) / worstWait);
    context.fillRect(xOf(index) - stepX / 2 + 0.5, height - 2 - barHeight, Math.max(1, stepX - 1), barHeight);
  });
}
