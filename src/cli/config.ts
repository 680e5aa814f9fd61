// rnx-config.yml: where it is looked for, what it must hold, and which node a command talks to.
// The format is Joblet's (version "3.0", PEM text embedded per node) so existing files keep working.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CliError } from './errors.js';

export interface NodeConfig {
  name: string;
  address: string;
  cert: string;
  key: string;
  ca: string;
  nodeId?: string;
  isDefault: boolean;
}

export interface RnxConfig {
  path: string;
  nodes: NodeConfig[];
}

export interface SearchPlaces {
  explicit?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  home: string;
  systemPaths: string[];
}

/** Candidate paths in search order: --config, $RNX_CONFIG, ./, ./config/, ~/.rnx/, system paths. */
export function configCandidates(p: SearchPlaces): string[] {
  if (p.explicit) return [resolve(p.cwd, p.explicit)];
  const out: string[] = [];
  if (p.env.RNX_CONFIG) out.push(resolve(p.cwd, p.env.RNX_CONFIG));
  out.push(join(p.cwd, 'rnx-config.yml'), join(p.cwd, 'config', 'rnx-config.yml'), join(p.home, '.rnx', 'rnx-config.yml'));
  return [...out, ...p.systemPaths];
}

// An explicit --config or $RNX_CONFIG that does not exist is an error rather than a reason to fall
// through to another file: silently talking to a different server than the one named is worse.
export function findConfigPath(p: SearchPlaces): string {
  const named = p.explicit ? ['--config', p.explicit] : p.env.RNX_CONFIG ? ['$RNX_CONFIG', p.env.RNX_CONFIG] : undefined;
  if (named) {
    const path = resolve(p.cwd, named[1]);
    if (!existsSync(path)) throw new CliError(`${named[0]} ${path}: no such file; point it at an rnx-config.yml (the daemon writes one to DATA_DIR/config/rnx-config.yml)`);
    return path;
  }
  const found = configCandidates(p).find((c) => existsSync(c));
  if (!found) {
    throw new CliError(`no rnx-config.yml found (looked in ./, ./config/, ~/.rnx/, ${p.systemPaths.join(', ')}); pass --config PATH or set RNX_CONFIG`);
  }
  return found;
}

function requirePem(node: string, field: string, value: unknown, path: string): string {
  if (typeof value !== 'string' || !value.includes('-----BEGIN ')) {
    throw new CliError(`${path}: nodes.${node}.${field} must be PEM text (-----BEGIN ...); regenerate the config with the daemon`);
  }
  return value;
}

export function parseConfig(text: string, path: string): RnxConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new CliError(`${path}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null) throw new CliError(`${path}: expected a mapping with version and nodes`);
  const { version, nodes } = doc as { version?: unknown; nodes?: unknown };
  // YAML reads an unquoted 3.0 as the number 3; both mean the same file format.
  if (version !== undefined && String(version) !== '3.0' && version !== 3) {
    throw new CliError(`${path}: unsupported version ${JSON.stringify(version)} (expected "3.0")`);
  }
  if (typeof nodes !== 'object' || nodes === null || Array.isArray(nodes) || Object.keys(nodes).length === 0) {
    throw new CliError(`${path}: no nodes; expected nodes: {NAME: {address, cert, key, ca}}`);
  }
  const list = Object.entries(nodes as Record<string, unknown>).map(([name, raw]): NodeConfig => {
    if (typeof raw !== 'object' || raw === null) throw new CliError(`${path}: nodes.${name} must be a mapping with address, cert, key, ca`);
    const n = raw as Record<string, unknown>;
    if (typeof n.address !== 'string' || !/^.+:\d+$/.test(n.address)) {
      throw new CliError(`${path}: nodes.${name}.address must be host:port, got ${JSON.stringify(n.address)}`);
    }
    return {
      name,
      address: n.address,
      cert: requirePem(name, 'cert', n.cert, path),
      key: requirePem(name, 'key', n.key, path),
      ca: requirePem(name, 'ca', n.ca, path),
      nodeId: typeof n.nodeId === 'string' && n.nodeId !== '' ? n.nodeId : undefined,
      isDefault: n.isDefault === true,
    };
  });
  return { path, nodes: list };
}

export function loadConfig(path: string): RnxConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; check the path and its permissions`);
  }
  return parseConfig(text, path);
}

/** The node a command talks to: --node, else isDefault, else "default", else the only one. */
export function selectNode(config: RnxConfig, name?: string): NodeConfig {
  const names = config.nodes.map((n) => n.name).join(', ');
  if (name) {
    const n = config.nodes.find((x) => x.name === name);
    if (!n) throw new CliError(`--node ${name}: no such node in ${config.path} (nodes: ${names})`);
    return n;
  }
  const chosen = config.nodes.find((n) => n.isDefault) ?? config.nodes.find((n) => n.name === 'default')
    ?? (config.nodes.length === 1 ? config.nodes[0] : undefined);
  if (!chosen) throw new CliError(`${config.path} has several nodes and none is the default; pass --node NAME (one of ${names}) or mark one isDefault: true`);
  return chosen;
}
