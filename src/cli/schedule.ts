// --schedule and --timeout values. The wire wants an RFC 3339 time (spec/joblet-api.md "schedule"),
// so relative durations are resolved here, against the caller's clock, before anything is sent.
import parseDuration from 'parse-duration';
import { CliError } from './errors.js';

// parse-duration reads any digits it finds ("2024-01-01" would become 2025 ms), so only strings
// made entirely of number+unit pairs are treated as durations.
const DURATION_SHAPE = /^(\d+(\.\d+)?[a-zA-Zµ]+)+$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

/** A positive duration in milliseconds, or undefined when `text` is not shaped like one. */
export function durationMs(text: string): number | undefined {
  const compact = text.replace(/\s+/g, '');
  if (!DURATION_SHAPE.test(compact)) return undefined;
  const ms = parseDuration(compact);
  return ms === null || !Number.isFinite(ms) ? undefined : ms;
}

/** RFC 3339 in UTC without a fractional part when it is zero: 2025-01-02T03:04:05Z. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

function localTime(m: RegExpExecArray): Date | undefined {
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number);
  const date = new Date(y, mo - 1, d, h, mi, s);
  // Date rolls 2025-02-30 over to March; a round trip catches such impossible dates.
  const same = date.getFullYear() === y && date.getMonth() === mo - 1 && date.getDate() === d && date.getHours() === h && date.getMinutes() === mi;
  return same ? date : undefined;
}

/** Resolves a --schedule value to an RFC 3339 UTC time; throws "--schedule: ..." on bad input. */
export function parseSchedule(spec: string, now: Date): string {
  const text = spec.trim();
  const bad = (why: string) => new CliError(`--schedule: ${why}; use a duration (30s, 5min, 1h, 2h30m) or a time (2025-01-02T15:04:05Z, "2025-01-02 15:04:05")`);
  if (text === '') throw bad('empty value');
  const ms = durationMs(text);
  if (ms !== undefined) {
    if (ms <= 0) throw bad(`"${spec}" is not a positive duration`);
    return rfc3339(new Date(now.getTime() + ms));
  }
  let at: Date | undefined;
  if (RFC3339.test(text)) {
    const t = Date.parse(text.replace(' ', 'T'));
    at = Number.isNaN(t) ? undefined : new Date(t);
  } else {
    const m = LOCAL.exec(text);
    if (m) at = localTime(m);
  }
  if (!at) throw bad(`cannot read "${spec}"`);
  if (at.getTime() <= now.getTime()) throw bad(`${rfc3339(at)} is in the past`);
  return rfc3339(at);
}

/** --timeout is sent as written (the server parses it) once it looks like a positive duration. */
export function checkTimeout(spec: string): string {
  const ms = durationMs(spec.trim());
  if (ms === undefined || ms <= 0) throw new CliError(`--timeout: "${spec}" is not a positive duration (like 30s, 5m, 1h)`);
  return spec.trim();
}
