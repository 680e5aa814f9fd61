// rnx client configs in the format Joblet's rnx reads (spec/rnx-cli.md, "Global"): version "3.0"
// and a `nodes` map whose entries embed the PEMs, so one file is all a user needs to copy.
import YAML from 'yaml';
import { isIP } from 'node:net';
import { parseListen } from '../config/load-config.js';

/** The roles a client certificate is issued for; the OU of each certificate. */
export const CLIENT_ROLES = ['admin', 'maintainer', 'developer', 'reader'] as const;
export type ClientRole = (typeof CLIENT_ROLES)[number];

export interface ClientConfigInput {
  address: string;
  nodeId: string;
  cert: string;
  key: string;
  ca: string;
  role: ClientRole;
}

/**
 * The address a local client dials for a listen address: a wildcard listener is reached on
 * 127.0.0.1 (also for "::", which Node binds dual-stack), a specific one on itself.
 */
export function clientAddress(listen: string): string {
  const parsed = parseListen(listen);
  if ('problem' in parsed) throw new Error(`listen address: ${parsed.problem}`);
  const { host, port } = parsed;
  if (host === '' || host === '0.0.0.0' || host === '::') return `127.0.0.1:${port}`;
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export function clientConfigYaml(c: ClientConfigInput): string {
  const doc = {
    version: '3.0',
    nodes: { default: { address: c.address, nodeId: c.nodeId, cert: c.cert, key: c.key, ca: c.ca } },
  };
  const header =
    `# rnx client config for role ${c.role}, written by joblet at start from its certificates.\n` +
    '# It holds a private key: keep it private. joblet rewrites this file when it changes; edit a copy.\n';
  return header + YAML.stringify(doc, { lineWidth: 0 });
}
