// Human durations ("30s", "5min", "1h30m") for the config file, RunJobRequest.timeout and
// `rnx run --schedule`. parse-duration knows the unit names, but it is deliberately lenient: it
// skips noise ("duration: 1h" is one hour), treats a bare number as milliseconds and drops unknown
// units. For user input that leniency hides typos ("5 mins later" would be 5 minutes, "30" would be
// 30 ms), so the text must be a plain sequence of NUMBER UNIT pairs, and every unit must be known.
import parse from 'parse-duration';

export class DurationError extends Error {
  override name = 'DurationError';
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
  }
}

const WHOLE = /^(?:\s*(?:\d+(?:\.\d+)?|\.\d+)\s*[\p{L}]+)+\s*$/u;
const PAIR = /(?:\d+(?:\.\d+)?|\.\d+)\s*[\p{L}]+/gu;
const RULE = 'must be a duration such as 30s, 5m or 1h30m';

/**
 * Milliseconds in `text` (rounded to a whole millisecond). "0" alone means zero. Throws a
 * DurationError naming `field` for anything else that is not NUMBER UNIT pairs with known units.
 */
export function parseDurationMs(text: string, field: string): number {
  const got = ` (got ${JSON.stringify(text)})`;
  if (typeof text !== 'string') throw new DurationError(field, `${RULE} (got ${typeof text})`);
  if (text.trim() === '0') return 0;
  if (!WHOLE.test(text)) {
    const bare = /^\s*\d+(?:\.\d+)?\s*$/.test(text);
    throw new DurationError(field, (bare ? `${RULE}; a number needs a unit` : RULE) + got);
  }
  let total = 0;
  for (const [pair] of text.matchAll(PAIR)) {
    const ms = parse(pair);
    if (ms === null || !Number.isFinite(ms)) {
      throw new DurationError(field, `${RULE}; unknown unit in ${JSON.stringify(pair.trim())}` + got);
    }
    total += ms;
  }
  const rounded = Math.round(total);
  if (!Number.isSafeInteger(rounded)) throw new DurationError(field, `${RULE}; too large` + got);
  return rounded;
}
