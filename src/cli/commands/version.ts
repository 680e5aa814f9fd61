// rnx --version: the client's version, then the server's (MonitoringService.GetSystemStatus).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmptyRequest } from '../../gen/joblet/EmptyRequest.js';
import type { SystemStatusResponse__Output } from '../../gen/joblet/SystemStatusResponse.js';
import { unary } from '../client.js';
import type { Context } from '../context.js';
import { json } from '../format/text.js';

const VERSION_DEADLINE_MS = 5_000;

/** The version in the package.json above this file (src/cli/commands or dist/src/cli/commands). */
export function clientVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'joblet' && pkg.version) return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

// The client line goes out first, so a script still learns the client version when the server is
// down; the error that follows makes the exit status non-zero.
export async function showVersion(ctx: Context): Promise<void> {
  const client = clientVersion();
  if (!ctx.json) ctx.out(`rnx ${client}\n`);
  let res: SystemStatusResponse__Output;
  try {
    const s = ctx.session();
    res = await unary<EmptyRequest, SystemStatusResponse__Output>(s, 'GetSystemStatus', s.monitoring.GetSystemStatus.bind(s.monitoring), {}, VERSION_DEADLINE_MS);
  } catch (err) {
    if (ctx.json) ctx.out(json({ client: { version: client } }));
    throw err;
  }
  const server = res.server_version?.version || 'unknown';
  ctx.out(ctx.json ? json({ client: { version: client }, server: res.server_version ?? {} }) : `joblet ${server}\n`);
}
