// Interleaved rounds and their statistics: every contender of a benchmark runs in the same process, round after
// round in turn (A B C A B C …), so a noisy neighbour or a CPU frequency change hits them all alike.
import { performance } from 'node:perf_hooks';

/**
 * Run `contenders` in interleaved rounds and return, per contender, every metric's samples and median.
 * A contender is `{ name, setup?(), round(context, size) → { metric: number }, teardown?(context) }`; `size` is the
 * work of one round, fixed (`ops`; the warm-up round does `warmOps`) or calibrated so that a round lasts about
 * `roundMs`. `isWarmed: false` skips the warm-up round (for rounds that each start a fresh process).
 */
export async function interleave(contenders, { rounds, ops, warmOps = ops, roundMs, isWarmed = true, log = () => {} }) {
  const live = [];
  try {
    for (const contender of contenders) {
      live.push({ contender, context: await contender.setup?.(), samples: [], size: ops });
    }
    for (const entry of isWarmed ? live : []) {
      // One unrecorded round warms the JIT and, without a fixed `ops`, measures the rate to size the next ones.
      const warmSize = warmOps ?? 2_000;
      const started = performance.now();
      await entry.contender.round(entry.context, warmSize);
      const elapsedMs = Math.max(performance.now() - started, 0.01);
      entry.size ??= Math.max(1_000, Math.round((warmSize * roundMs) / elapsedMs));
    }
    for (let round = 0; round < rounds; round++) {
      for (const entry of live) {
        collectGarbage();
        entry.samples.push(await entry.contender.round(entry.context, entry.size));
      }
      log(`round ${round + 1}/${rounds}`);
    }
  } finally {
    for (const entry of [...live].reverse()) await entry.contender.teardown?.(entry.context);
  }
  return live.map(({ contender, samples }) => ({ name: contender.name, ...summarize(samples) }));
}

/** Per metric: the samples, their median, min and max. */
export function summarize(samples) {
  const metrics = {};
  for (const key of Object.keys(samples[0] ?? {})) {
    const values = samples.map((sample) => sample[key]).filter((value) => Number.isFinite(value));
    metrics[key] = { samples: values, median: median(values), min: Math.min(...values), max: Math.max(...values) };
  }
  return { metrics };
}

/** The median of numbers (NaN when there are none). */
export function median(values) {
  return percentile(values, 50);
}

/** The p-th percentile (nearest rank) of numbers, in any order; NaN when there are none. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/** Records durations without allocating per sample, and reports their percentiles. */
export class LatencyRecorder {
  #values;
  #count = 0;

  constructor(capacity) {
    this.#values = new Float64Array(capacity);
  }

  record(durationMs) {
    if (this.#count < this.#values.length) this.#values[this.#count++] = durationMs;
  }

  /** The p-th percentile in microseconds. */
  percentileUs(p) {
    return percentile(this.#values.subarray(0, this.#count), p) * 1_000;
  }
}

/** Free the previous round's garbage so the next contender does not pay for it (needs `--expose-gc`). */
export function collectGarbage() {
  globalThis.gc?.();
}

/**
 * A markdown table: one row per contender, one column per metric (median, and min–max spread), then per subject
 * (one name or several) the ratio of that subject ÷ the row, for the `ratioOf` metric.
 */
export function ratioTable(results, { subject, columns, ratioOf }) {
  const subjects = [subject].flat();
  const references = subjects.map((name) => named(results, name));
  const header = [
    'contender',
    ...columns.map((column) => column.label),
    ...subjects.map((name) => `${name} ÷ this (${ratioOf})`),
  ];
  const rows = results.map((result) => [
    result.name,
    ...columns.map((column) => describe(result.metrics[column.key], column.digits)),
    ...references.map((reference) => ratio(reference, result, ratioOf)),
  ]);
  return markdownTable(header, rows);
}

/** `subject ÷ other` for one metric's medians, as text ("—" when either is missing). */
export function ratio(subject, other, key) {
  const value = ratioValue(subject, other, key);
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '—';
}

/** `subject ÷ other` for one metric's medians, as a number (NaN when either is missing). */
export function ratioValue(subject, other, key) {
  const top = subject?.metrics[key]?.median;
  const bottom = other?.metrics[key]?.median;
  return top !== undefined && bottom !== undefined && bottom !== 0 ? top / bottom : Number.NaN;
}

/** Text for a metric: median with its min–max spread. */
export function describe(metric, digits = 0) {
  if (!metric || !Number.isFinite(metric.median)) return '—';
  const format = (value) => formatNumber(value, digits);
  return `${format(metric.median)} (${format(metric.min)}–${format(metric.max)})`;
}

/** A number with thousands separators and `digits` decimals. */
export function formatNumber(value, digits = 0) {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Rows of cells as a markdown table. */
export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * A target line for the final table: what was asked, what was measured, and whether it holds (`undefined`: not
 * measurable in this run, e.g. PoolToy missing; `null`: a measurement the issue asks for without a threshold).
 */
export function target(name, measured, isMet, note = '') {
  const status = isMet === undefined ? 'n/a' : isMet === null ? 'info' : isMet ? 'met' : 'missed';
  return { name, measured, status, note };
}

/** The target "`subject ÷ anchor` ≥ `factor`" on the medians of `key` (`factor` null: measured, no threshold). */
export function ratioTarget(label, results, { subject = 'PoolToy', anchor, key, factor }) {
  const value = ratioValue(named(results, subject), named(results, anchor), key);
  const isMet = !Number.isFinite(value) ? undefined : factor === null ? null : value >= factor;
  return target(label, value, isMet, `${subject} ÷ ${anchor}, ${key}`);
}

/** The result of the contender called `name`. */
export function named(results, name) {
  return results.find((result) => result.name === name);
}
