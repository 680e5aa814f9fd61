// Loads the daemon config: find the file, parse YAML, check every key against the schema, apply
// command-line overrides, derive paths, freeze. All problems are collected so one run of the
// daemon shows everything wrong with a file, not one problem per restart.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { shown, isHost } from './rules.js';
import { DEFAULT_CONFIG_PATH, JOBLET_ONLY_SECTIONS, SECTIONS, type Config } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly problems: readonly string[],
    readonly file: string | null,
  ) {
    super(problems.join('; ') + (file ? ` (file ${file})` : ''));
  }
}

export interface LoadConfigOptions {
  /** An explicit file (`joblet --config`); it must exist. */
  configPath?: string;
  overrides?: { dataDir?: string; listen?: string };
  /** Where to look when configPath is not given; tests point this at temp dirs. */
  searchPaths?: readonly string[];
}

export type LoadedConfig = Config & { readonly source: string | null };

export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const { file, text } = findFile(opts);
  const problems: string[] = [];
  const ignored: string[] = [];
  const raw = parseYaml(text, file);
  const out: Record<string, Record<string, unknown>> = {};
  let version = '3.0';

  for (const [name, section] of Object.entries(SECTIONS)) {
    const given = raw[name] ?? {};
    const values: Record<string, unknown> = (out[name] = {});
    if (!isMapping(given)) {
      problems.push(`config ${name}: must be a mapping of keys (got ${shown(given)})`);
      continue;
    }
    for (const f of section.fields) {
      const path = `${name}.${f.key}`;
      const result = f.rule(f.key in given ? given[f.key] : f.default, path);
      if ('ok' in result) values[f.as ?? f.key] = result.ok;
      else problems.push(`config ${path}: ${result.problem}`);
    }
    const known = section.fields.map((f) => f.key);
    for (const key of Object.keys(given)) {
      if (known.includes(key)) continue;
      if (section.jobletOnly?.includes(key)) ignored.push(`${name}.${key}`);
      else problems.push(`config ${name}.${key}: unknown key (known: ${known.join(', ')})`);
    }
  }
  for (const key of Object.keys(raw)) {
    if (key in SECTIONS) continue;
    if (key === 'version') {
      if (typeof raw.version === 'string') version = raw.version;
      else problems.push(`config version: must be a string such as "3.0" (got ${shown(raw.version)})`);
    } else if (JOBLET_ONLY_SECTIONS.includes(key)) ignored.push(key);
    else problems.push(`config ${key}: unknown section (known: version, ${Object.keys(SECTIONS).join(', ')})`);
  }

  const { dataDir, listen } = opts.overrides ?? {};
  if (dataDir !== undefined) {
    if (dataDir === '') problems.push('--data-dir: must be a directory path (got "")');
    else out.storage.dataDir = resolve(dataDir);
  }
  if (listen !== undefined) {
    const parsed = parseListen(listen);
    if ('problem' in parsed) problems.push(`--listen: ${parsed.problem}`);
    else {
      if (parsed.host !== '') out.server.address = parsed.host;
      out.server.port = parsed.port;
    }
  }
  if (problems.length) throw new ConfigError(problems, file);

  if (out.security.certsDir === '') out.security.certsDir = join(out.storage.dataDir as string, 'certs');
  const config = { version, ...out, ignoredKeys: ignored, source: file } as unknown as LoadedConfig;
  return deepFreeze(config);
}

/** "HOST:PORT", "[IPv6]:PORT" or ":PORT" (keep the configured address). */
export function parseListen(text: string): { host: string; port: number } | { problem: string } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const host = m ? (m[1] ?? m[2]) : '';
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535 || (host !== '' && !isHost(host))) {
    return { problem: `must be HOST:PORT such as 0.0.0.0:50051, [::]:50051 or :50051 (got ${shown(text)})` };
  }
  return { host, port };
}

function findFile(opts: LoadConfigOptions): { file: string | null; text: string } {
  if (opts.configPath !== undefined) {
    const file = resolve(opts.configPath);
    try {
      return { file, text: readFileSync(file, 'utf8') };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file (check --config)' : `cannot read: ${code ?? (e as Error).message}`;
      throw new ConfigError([`config file ${file}: ${why}`], file);
    }
  }
  for (const file of opts.searchPaths ?? [DEFAULT_CONFIG_PATH]) {
    try {
      return { file, text: readFileSync(file, 'utf8') };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ConfigError([`config file ${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`], file);
      }
    }
  }
  return { file: null, text: '' };
}

function parseYaml(text: string, file: string | null): Record<string, unknown> {
  let doc: unknown;
  try {
    // uniqueKeys (the default) makes a key given twice an error instead of "last one wins".
    doc = YAML.parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    throw new ConfigError([`config: not valid YAML: ${(e as Error).message.split('\n')[0]}`], file);
  }
  if (doc === null || doc === undefined) return {};
  if (!isMapping(doc)) throw new ConfigError([`config: the top level must be a mapping of sections (got ${shown(doc)})`], file);
  return doc;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
