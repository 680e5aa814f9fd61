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
    // Signals are caught before start-up begins, so a SIGTERM that arrives while the daemon is
    // still starting (or right after it logs "serving") still shuts it down cleanly.
    const signalled = new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    const daemon = await startDaemon(config);
    const signal = await signalled;
    daemon.log.info({ signal }, 'shutting down');
    await daemon.close();
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
