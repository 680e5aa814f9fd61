// What a refused request asked for, in a form safe to keep forever in the audit log: secret values
// become `***`, byte fields (upload contents) become their length, and strings, lists and nesting
// are bounded so a hostile request cannot make its own audit record large. Proto3 cannot tell an
// unset field from its default, and proto-loader fills in every default, so '', 0, false, [] and
// {} are left out: the summary shows what the caller actually set.
import { SECRET_MASK } from './jobWire.js';

const SECRET_KEY = /secret|password|passwd|token|credential|private/i;
const MAX_STRING = 256;
const MAX_ITEMS = 16;
const MAX_KEYS = 32;
const MAX_DEPTH = 4;

export function summarizeRequest(request: unknown): Record<string, unknown> {
  const s = summarize(request, 0, false);
  return s !== null && typeof s === 'object' && !Array.isArray(s) ? (s as Record<string, unknown>) : { value: s };
}

function summarize(value: unknown, depth: number, secret: boolean): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (secret && typeof value !== 'object') return SECRET_MASK;
  if (typeof value === 'string') return value.length <= MAX_STRING ? value : `${value.slice(0, MAX_STRING)}...(${value.length} chars)`;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value !== 'object') return String(value);  // bigint, and Long-like values from proto-loader
  if (depth >= MAX_DEPTH) return '...';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => summarize(v, depth + 1, secret));
    return value.length > MAX_ITEMS ? [...items, `...(${value.length - MAX_ITEMS} more)`] : items;
  }
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [k, v] of entries.slice(0, MAX_KEYS)) {
    const key = k.length <= MAX_STRING ? k : `${k.slice(0, MAX_STRING)}...`;
    if (isDefault(v)) continue;
    out[key] = summarize(v, depth + 1, secret || SECRET_KEY.test(k));
  }
  if (entries.length > MAX_KEYS) out['...'] = `${entries.length - MAX_KEYS} more keys`;
  return out;
}

function isDefault(v: unknown): boolean {
  if (v === '' || v === 0 || v === false || v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Uint8Array) return false;
  return typeof v === 'object' && Object.keys(v as object).length === 0;
}
