// First start: create the CA, the server certificate and one client certificate per role, then the
// rnx client configs. Later starts reuse what is on disk and re-issue only what fails a check
// (inspect.ts); `joblet certs` (force) re-issues everything, which invalidates old client configs.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CLIENT_ROLES, clientAddress, clientConfigYaml, type ClientRole } from './client-config.js';
import { atomicWrite } from './atomic-write.js';
import { pairProblem } from './inspect.js';
import { createCa, issueClientCert, issueServerCert, type CertPem } from './pki.js';
import { parseListen } from '../config/load-config.js';

export interface EnsureCertificatesOptions {
  certsDir: string;
  /** Where rnx-config.yml and rnx-config-<role>.yml go (DATA_DIR/config). */
  configDir: string;
  /** The listen address "HOST:PORT" (use the bound port when the config asked for port 0). */
  address: string;
  /** Extra SANs (config security.serverNames). */
  serverNames: readonly string[];
  nodeId: string;
  /** Re-issue everything, CA included. */
  force?: boolean;
}

interface PemFiles {
  certFile: string;
  keyFile: string;
}

/** Where everything lives. `*File` fields are paths; PEM contents are in EnsureCertificatesResult. */
export interface CertPaths {
  caFile: string;
  caKeyFile: string;
  serverFile: string;
  serverKeyFile: string;
  clients: Record<ClientRole, PemFiles>;
  /** rnx-config-<role>.yml for every role. */
  clientConfigs: Record<ClientRole, string>;
  /** rnx-config.yml: the admin config, where rnx looks by default. */
  adminConfig: string;
}

export type EnsureCertificatesResult = CertPaths & {
  /** PEM contents, ready for grpc.ServerCredentials.createSsl. */
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** True when any certificate was issued by this call. */
  created: boolean;
  /** What was issued and why, e.g. "server (does not cover joblet.example.com)"; for the start log. */
  issued: readonly string[];
  /**
   * Rewrites the client configs for another listen address: when the config asked for port 0 the
   * daemon knows the real port only after binding. Certificates are not touched.
   */
  writeClientConfigs(listen: string): Promise<void>;
};

/** The names Joblet's clients verify ("joblet"), local access, this host, the listen host, and configured extras. */
export function serverCertNames(address: string, serverNames: readonly string[]): string[] {
  const parsed = parseListen(address);
  const listenHost = 'problem' in parsed ? '' : parsed.host;
  const specific = listenHost !== '' && listenHost !== '0.0.0.0' && listenHost !== '::' ? [listenHost] : [];
  return [...new Set(['joblet', 'localhost', '127.0.0.1', '::1', hostname(), ...specific, ...serverNames])];
}

export function certPaths(certsDir: string, configDir: string): CertPaths {
  const clients = {} as Record<ClientRole, PemFiles>;
  const clientConfigs = {} as Record<ClientRole, string>;
  for (const role of CLIENT_ROLES) {
    clients[role] = { certFile: join(certsDir, `client-${role}.pem`), keyFile: join(certsDir, `client-${role}-key.pem`) };
    clientConfigs[role] = join(configDir, `rnx-config-${role}.yml`);
  }
  return {
    caFile: join(certsDir, 'ca.pem'),
    caKeyFile: join(certsDir, 'ca-key.pem'),
    serverFile: join(certsDir, 'server.pem'),
    serverKeyFile: join(certsDir, 'server-key.pem'),
    clients,
    clientConfigs,
    adminConfig: join(configDir, 'rnx-config.yml'),
  };
}

export async function ensureCertificates(opts: EnsureCertificatesOptions): Promise<EnsureCertificatesResult> {
  const paths = certPaths(opts.certsDir, opts.configDir);
  const issued: string[] = [];
  const names = serverCertNames(opts.address, opts.serverNames);

  // 1. The CA. Without a usable one every leaf is re-issued, since none could be verified.
  let ca = opts.force ? null : readPair({ certFile: paths.caFile, keyFile: paths.caKeyFile });
  const caProblem = opts.force ? 'forced' : ca === null ? 'missing' : pairProblem(ca);
  const newCa = ca === null || caProblem !== null;
  if (ca === null || newCa) {
    ca = await createCa('joblet-ca');
    writePair({ certFile: paths.caFile, keyFile: paths.caKeyFile }, ca);
    issued.push(`ca (${caProblem})`);
  }

  // 2. The leaves, each checked against the CA (and the server one against the wanted names).
  type Leaf = { label: string; role?: ClientRole; files: PemFiles; names?: string[]; make: (ca: CertPem) => Promise<CertPem> };
  const leaves: Leaf[] = [
    { label: 'server', files: { certFile: paths.serverFile, keyFile: paths.serverKeyFile }, names, make: (c) => issueServerCert(c, names) },
    ...CLIENT_ROLES.map((role) => ({
      label: `client-${role}`,
      role,
      files: paths.clients[role],
      make: (c: CertPem) => issueClientCert(c, { cn: `joblet-${role}`, ou: role }),
    })),
  ];
  const clientPems = {} as Record<ClientRole, CertPem>;
  let serverPem: CertPem | null = null;
  for (const leaf of leaves) {
    let pair = newCa ? null : readPair(leaf.files);
    const problem = newCa ? 'new CA' : pair === null ? 'missing' : pairProblem(pair, { ca: ca.cert, names: leaf.names });
    if (pair === null || problem !== null) {
      pair = await leaf.make(ca);
      writePair(leaf.files, pair);
      issued.push(`${leaf.label} (${problem})`);
    }
    if (leaf.role) clientPems[leaf.role] = pair;
    else serverPem = pair;
  }

  // 3. Client configs: rewritten only when their content changes (new certificates, port, node id).
  const caCert = ca.cert;
  const writeClientConfigs = async (listen: string): Promise<void> => {
    const address = clientAddress(listen);
    for (const role of CLIENT_ROLES) {
      const yaml = clientConfigYaml({ address, nodeId: opts.nodeId, ...clientPems[role], ca: caCert, role });
      writeIfChanged(paths.clientConfigs[role], yaml);
      if (role === 'admin') writeIfChanged(paths.adminConfig, yaml);
    }
  };
  await writeClientConfigs(opts.address);
  if (serverPem === null) throw new Error('ensureCertificates: no server certificate after issuing (bug)');
  return { ...paths, caCert, serverCert: serverPem.cert, serverKey: serverPem.key, created: issued.length > 0, issued, writeClientConfigs };
}

function readPair(files: PemFiles): CertPem | null {
  if (!existsSync(files.certFile) || !existsSync(files.keyFile)) return null;
  return { cert: readFileSync(files.certFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8') };
}

function writePair(files: PemFiles, pair: CertPem): void {
  // Key first: a crash between the two writes leaves a pair that fails pairProblem and is re-issued.
  atomicWrite(files.keyFile, pair.key, 0o600);
  atomicWrite(files.certFile, pair.cert, 0o644);
}

function writeIfChanged(file: string, content: string): void {
  let old: string | null = null;
  try {
    old = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (old !== content) atomicWrite(file, content, 0o600);
}
