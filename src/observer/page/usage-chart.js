// A pool's memory and CPU over the last two minutes: the sum of its workers' memory readings (resident memory for
// processes and commands, heap for threads) and their CPU use as a percentage of one core, each on its own scale.
import { formatBytes } from './element.js';
import { chartSeconds, prepareCanvas } from './pool-chart.js';

export const memoryColour = '#38bdf8';
export const cpuColour = '#f472b6';

/**
 * @typedef {{ memoryBytes: number | undefined, cpuPercent: number | undefined }} UsageSample
 */

/**
 * Draw `samples` (oldest first, one a second) on `canvas`; a pool whose kind reports no usage gets a note.
 * @param {HTMLCanvasElement} canvas
 * @param {UsageSample[]} samples
 */
export function drawUsageChart(canvas, samples) {
  const prepared = prepareCanvas(canvas);
  if (!prepared) return;
  const { context, width, height } = prepared;
  context.font = '10px ui-monospace, SFMono-Regular, Menlo, monospace';
  context.fillStyle = '#6b7590';
  const hasReadings = samples.some((sample) => sample.memoryBytes !== undefined);
  if (!hasReadings) {
    context.fillText('no memory readings: this kind of worker reports none', 4, height / 2 + 3);
    return;
  }
  const left = 52;
  const right = 36;
  const spanSeconds = Math.min(chartSeconds, Math.max(30, samples.length));
  const stepX = (width - left - right) / (spanSeconds - 1);
  const xOf = (index) => left + (spanSeconds - samples.length + index) * stepX;
  const topMemory = Math.max(1, ...samples.map((sample) => sample.memoryBytes ?? 0)) * 1.15;
  const topCpu = Math.max(100, ...samples.map((sample) => sample.cpuPercent ?? 0));
  const yOf = (value, top) => 6 + (height - 12) * (1 - value / top);
  context.fillText(formatBytes(topMemory), 2, 12);
  context.fillText('0', 2, height - 4);
  context.fillText(`${Math.round(topCpu)}%`, width - right + 4, 12);
  const line = (key, top, colour) => {
    context.strokeStyle = colour;
    context.lineWidth = 2;
    context.beginPath();
    let isDrawing = false;
    samples.forEach((sample, index) => {
      const value = sample[key];
      if (value === undefined) {
        isDrawing = false;
        return;
      }
      if (isDrawing) context.lineTo(xOf(index), yOf(value, top));
      else context.moveTo(xOf(index), yOf(value, top));
      isDrawing = true;
    });
    context.stroke();
  };
  line('memoryBytes', topMemory, memoryColour);
  line('cpuPercent', topCpu, cpuColour);
}
