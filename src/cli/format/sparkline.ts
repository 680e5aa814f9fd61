// A one-row chart of a series in Unicode block characters (▁▂▃▄▅▆▇█), for `rnx job metrics` on a
// terminal. Small enough to keep here rather than pull in a package (docs/decisions: metrics).

const BLOCKS = '▁▂▃▄▅▆▇█';

/**
 * One block per value, scaled from 0 (or the smallest value, when all are above 0 and `fromZero`
 * is false) to `max` (default: the largest value). More values than `width` keeps the newest.
 * Non-finite values count as 0; an empty series is an empty string.
 */
export function sparkline(values: readonly number[], opts: { width?: number; max?: number; fromZero?: boolean } = {}): string {
  const shown = opts.width !== undefined && values.length > opts.width ? values.slice(values.length - opts.width) : values;
  if (shown.length === 0) return '';
  const clean = shown.map((v) => (Number.isFinite(v) ? v : 0));
  const top = opts.max ?? Math.max(...clean);
  const bottom = opts.fromZero === false ? Math.min(...clean) : 0;
  const span = top - bottom;
  return clean.map((v) => {
    if (!(span > 0)) return v > 0 ? BLOCKS[BLOCKS.length - 1] : BLOCKS[0];
    const level = Math.round(((Math.min(Math.max(v, bottom), top) - bottom) / span) * (BLOCKS.length - 1));
    return BLOCKS[level];
  }).join('');
}
