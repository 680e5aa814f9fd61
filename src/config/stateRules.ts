// Rules for the `state` section's nested keys (state.redis, state.dynamodb). The loader checks
// one level of keys per section, so each nested mapping is one field whose rule checks its own
// keys, fills defaults and reports unknown ones the same way the loader does.
import { duration, shown, type Rule } from './rules.js';

export const STATE_BACKENDS = ['memory', 'local', 'redis', 'dynamodb'] as const;
export type StateBackendName = (typeof STATE_BACKENDS)[number];

export interface RedisSettings {
  /** Single node, e.g. redis://127.0.0.1:6379/0; ignored when `cluster` lists nodes. */
  readonly url: string;
  /** Prefix of every key written; several installations may share one Redis. */
  readonly keyPrefix: string;
  /** Cluster seed nodes ("host:port"); empty = not a cluster. */
  readonly cluster: readonly string[];
  /** Passed through to ioredis as given (Sentinel: { sentinels: [...], name: "mymaster" }; TLS, password...). */
  readonly options: Readonly<Record<string, unknown>>;
}

export interface DynamoSettings {
  /** Joblet's default table name. */
  readonly tableName: string;
  readonly region: string;
  /** "" = the AWS default endpoint for the region; tests point it at dynalite on loopback. */
  readonly endpoint: string;
  /** Finished jobs' items get expiresAt = end + ttl (DynamoDB's TTL attribute); 0 = keep forever. */
  readonly ttlMs: number;
  /** Create the table (and turn on TTL) on first use when it does not exist. */
  readonly createTable: boolean;
}

export function bool(): Rule<boolean> {
  return (v) => (typeof v === 'boolean' ? { ok: v } : { problem: `must be true or false (got ${shown(v)})` });
}

type Check = (v: unknown, path: string) => { ok: unknown } | { problem: string };

/** A nested mapping: every key has a default and a rule; unknown keys are errors. */
function mapping<T>(fields: Record<string, { default: unknown; rule: Check; as?: string }>): Rule<T> {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { problem: `must be a mapping of keys (got ${shown(v)})` };
    const given = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const [key, f] of Object.entries(fields)) {
      const r = f.rule(key in given ? given[key] : f.default, `${path}.${key}`);
      if ('ok' in r) out[f.as ?? key] = r.ok;
      else problems.push(`${key}: ${r.problem}`);
    }
    for (const key of Object.keys(given)) {
      if (!(key in fields)) problems.push(`${key}: unknown key (known: ${Object.keys(fields).join(', ')})`);
    }
    return problems.length ? { problem: problems.join('; ') } : { ok: out as T };
  };
}

const text = (what: string, pattern?: RegExp): Check => (v) =>
  typeof v === 'string' && (!pattern || pattern.test(v)) ? { ok: v } : { problem: `must be ${what} (got ${shown(v)})` };

const REDIS_URL = /^rediss?:\/\/[^\s]+$/;
const HOST_PORT = /^[^\s:]+:\d{1,5}$/;
const HTTP_URL = /^(?:|https?:\/\/[^\s]+)$/;

export function redisSettings(): Rule<RedisSettings> {
  return mapping<RedisSettings>({
    url: { default: 'redis://127.0.0.1:6379', rule: text('a redis:// or rediss:// URL', REDIS_URL) },
    keyPrefix: { default: 'joblet:', rule: text('a string') },
    cluster: {
      default: [],
      rule: (v) => (Array.isArray(v) && v.every((x) => typeof x === 'string' && HOST_PORT.test(x))
        ? { ok: [...(v as string[])] }
        : { problem: `must be a list of "host:port" seed nodes (got ${shown(v)})` }),
    },
    options: {
      default: {},
      rule: (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? { ok: v } : { problem: `must be a mapping passed to ioredis (got ${shown(v)})` }),
    },
  });
}

export function dynamoSettings(): Rule<DynamoSettings> {
  return mapping<DynamoSettings>({
    tableName: { default: 'joblet-jobs', rule: text('a DynamoDB table name (3-255 of A-Z a-z 0-9 _ - .)', /^[A-Za-z0-9_.-]{3,255}$/) },
    region: { default: 'us-east-1', rule: text('an AWS region such as us-east-1', /^[a-z0-9-]{1,32}$/) },
    endpoint: { default: '', rule: text('"" or an http(s):// URL', HTTP_URL) },
    ttl: { default: '0', rule: duration(), as: 'ttlMs' },
    createTable: { default: false, rule: bool() },
  });
}
