// Value rules for config keys. Each rule turns a raw YAML value into a typed one or returns the
// reason it cannot ("must be ..."); the loader adds the key path, so every message reads
// `config <path>: <rule> (got <value>)`. Defaults pass through the same rules, so a default can
// never have a type its key would reject.
import { isAbsolute } from 'node:path';
import { isIP } from 'node:net';
import { DurationError, parseDurationMs } from './duration.js';

export type Rule<T> = (value: unknown, path: string) => { ok: T } | { problem: string };

export function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
}

export function int(min: number, max = Number.MAX_SAFE_INTEGER): Rule<number> {
  const rule = max === Number.MAX_SAFE_INTEGER ? `must be an integer >= ${min}` : `must be an integer from ${min} to ${max}`;
  return (v) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? { ok: v } : { problem: `${rule} (got ${shown(v)})` });
}

/** A duration string ("30s"); the typed value is milliseconds. A bare YAML 0 is accepted too. */
export function duration(): Rule<number> {
  return (v, path) => {
    if (v === 0) return { ok: 0 };
    if (typeof v !== 'string') return { problem: `must be a duration such as 30s, 5m or 1h30m (got ${shown(v)})` };
    try {
      return { ok: parseDurationMs(v, path) };
    } catch (e) {
      if (e instanceof DurationError) return { problem: e.rule };
      throw e;
    }
  };
}

/** A duration that `fits` (it names the rule broken, or undefined when the ms are fine). */
function durationWhere(fits: (ms: number) => string | undefined): Rule<number> {
  const parse = duration();
  return (v, path) => {
    const r = parse(v, path);
    const broken = 'ok' in r ? fits(r.ok) : undefined;
    return broken === undefined ? r : { problem: `${broken} (got ${shown(v)})` };
  };
}

/** A duration of at least minMs, or 0 to switch the feature off (e.g. joblet.metricsInterval). */
export function durationOrOff(minMs: number): Rule<number> {
  return durationWhere((ms) => (ms !== 0 && ms < minMs ? `must be 0 (off) or at least ${minMs}ms` : undefined));
}

/** A duration from 0 up to maxMs (e.g. joblet.outputBatch, which a supervisor waits per batch). */
export function durationAtMost(maxMs: number): Rule<number> {
  return durationWhere((ms) => (ms > maxMs ? `must be at most ${maxMs}ms` : undefined));
}

export function oneOf<T extends string>(choices: readonly T[]): Rule<T> {
  // Joblet writes levels in capitals ("INFO"); accept any case, keep the canonical spelling.
  return (v) => {
    const hit = typeof v === 'string' ? choices.find((c) => c === v.toLowerCase()) : undefined;
    return hit ? { ok: hit } : { problem: `must be one of ${choices.join(', ')} (got ${shown(v)})` };
  };
}

export function absolutePath(): Rule<string> {
  return (v) => (typeof v === 'string' && isAbsolute(v) ? { ok: v } : { problem: `must be an absolute path (got ${shown(v)})` });
}

/** Empty means "derive it" (certsDir = DATA_DIR/certs); otherwise an absolute path. */
export function optionalAbsolutePath(): Rule<string> {
  return (v) => (v === '' || (typeof v === 'string' && isAbsolute(v)) ? { ok: v } : { problem: `must be an absolute path or "" (got ${shown(v)})` });
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function isHost(text: string): boolean {
  return isIP(text) !== 0 || HOSTNAME.test(text);
}

export function host(): Rule<string> {
  return (v) => (typeof v === 'string' && isHost(v) ? { ok: v } : { problem: `must be an IP address or host name without a port (got ${shown(v)})` });
}

export function hostList(): Rule<readonly string[]> {
  return (v) => {
    if (!Array.isArray(v)) return { problem: `must be a list of host names or IP addresses (got ${shown(v)})` };
    const bad = v.filter((x) => typeof x !== 'string' || !isHost(x));
    return bad.length ? { problem: `must be a list of host names or IP addresses (bad: ${bad.map(shown).join(', ')})` } : { ok: [...(v as string[])] };
  };
}

/** A node id goes into client configs and job records; keep it to a safe, printable token. */
export function nodeId(): Rule<string> {
  return (v) => (typeof v === 'string' && /^(?:|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/.test(v)
    ? { ok: v }
    : { problem: `must be "" (generate one) or 1-64 letters, digits, '.', '_' or '-' (got ${shown(v)})` });
}

export function text(): Rule<string> {
  return (v) => (typeof v === 'string' ? { ok: v } : { problem: `must be a string (got ${shown(v)})` });
}

export function absolutePathList(): Rule<readonly string[]> {
  return (v) => {
    if (!Array.isArray(v)) return { problem: `must be a list of absolute paths (got ${shown(v)})` };
    const bad = v.filter((x) => typeof x !== 'string' || !isAbsolute(x) || x.split('/').includes('..'));
    return bad.length ? { problem: `must be a list of absolute paths without ".." (bad: ${bad.map(shown).join(', ')})` } : { ok: [...(v as string[])] };
  };
}
