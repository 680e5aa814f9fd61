// The `joblet` command: starts the daemon (default), or re-issues certificates (`joblet certs`).
// Expected errors (bad config, port in use) print one line; bugs print a stack.
import { cac } from 'cac';
import { join } from 'node:path';
import { loadConfig, ConfigError, ensureNodeId } from './config/index.js';
import { ensureCertificates } from './certs/index.js';
import { startDaemon } from './daemon.js';
import { VERSION } from './version.js';

interface Flags { config?: string; dataDir?: string; listen?: string }

export async function main(argv: string[]): Promise<void> {
  const cli = cac('joblet');
  cli.option('--config <path>', 'config file (default /opt/joblet/config/joblet-config.yml if present)')
    .option('--data-dir <dir>', 'data directory (overrides storage.dataDir)')
    .option('--listen <host:port>', 'listen address (overrides server.address and server.port)');

  cli.command('', 'start the daemon').action(async (flags: Flags) => {
    const config = load(flags);
    const daemon = await startDaemon(config);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        daemon.log.info({ signal }, 'shutting down');
        daemon.close().then(resolve, (err) => { daemon.log.error({ err }, 'shutdown failed'); resolve(); });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
  });

  cli.command('certs', 're-issue the CA, server and client certificates and the rnx configs').action(async (flags: Flags) => {
    const config = load(flags);
    const dataDir = config.storage.dataDir;
    await ensureCertificates({
      certsDir: config.security.certsDir,
      configDir: join(dataDir, 'config'),
      address: `${config.server.address}:${config.server.port}`,
      serverNames: config.security.serverNames,
      nodeId: config.server.nodeId || ensureNodeId(dataDir),
      force: true,
    });
    console.log(`certificates re-issued in ${config.security.certsDir}; client configs in ${join(dataDir, 'config')} (restart the daemon to use them)`);
  });

  cli.help();
  cli.version(VERSION);
  cli.parse(['node', 'joblet', ...argv], { run: false });
  await cli.runMatchedCommand();
}

function load(flags: Flags) {
  return loadConfig({ configPath: flags.config, overrides: { dataDir: flags.dataDir, listen: flags.listen } });
}

export function handleError(err: unknown): void {
  if (err instanceof ConfigError) console.error(`Error: ${err.message}`);
  else if (err instanceof Error && 'code' in err && err.code === 'EADDRINUSE') console.error(`Error: ${err.message} (another daemon is running; use --listen to pick another port)`);
  else console.error(err);
  process.exitCode = 1;
}
