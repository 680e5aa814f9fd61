// The `joblet` command: starts the daemon (default), re-issues certificates (`joblet certs`), or
// reads the event log offline (`joblet replay`, src/replay/).
// Expected errors (bad config, port in use) print one line; bugs print a stack.
import { cac } from 'cac';
import { join } from 'node:path';
import { loadConfig, ConfigError, ensureNodeId } from './config/index.js';
import { ensureCertificates } from './certs/index.js';
import { startDaemon } from './daemon.js';
import { VERSION } from './version.js';
import { runReplay } from './replay/replayCommand.js';
import type { EventFilter } from './events/eventFilter.js';

interface Flags { config?: string; dataDir?: string; listen?: string }
interface ReplayFlags extends Flags {
  at?: string; job?: string; verify?: boolean; export?: string | true; diff?: string; json?: boolean; includeOutput?: boolean;
  from?: string; to?: string; type?: string; user?: string; since?: string; until?: string;
}

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

  cli.command('replay [diffTo]', 'read the event log offline and read-only (a copy, or the live log of a running daemon)')
    .option('--at <pos|time>', 'print the job table as it was at a log position or a time')
    .option('--job <id>', 'print one job\'s whole history (id or unique prefix)')
    .option('--verify', 'check the hash chain; exit 2 at the first broken position')
    .option('--export [file]', 'write events as JSON lines to a file (mode 0600), or to stdout without one or with -')
    .option('--diff <A>', 'with a second point B: what changed in the job table from A to B')
    .option('--json', 'JSON instead of text')
    .option('--include-output', 'include job output (base64) in JSON events')
    .option('--from <pos>', 'first position to list or export')
    .option('--to <pos>', 'last position to list or export')
    .option('--type <types>', 'only these event types (comma-separated)')
    .option('--user <cn>', 'only events recorded with this caller certificate CN')
    .option('--since <time>', 'only events at or after this time')
    .option('--until <time>', 'only events at or before this time')
    .example('joblet replay --data-dir /backup/joblet --verify')
    .example('joblet replay --at 2025-01-31T12:00:00Z')
    .example('joblet replay --diff 1200 1350')
    .action(async (diffTo: string | undefined, flags: ReplayFlags) => {
      const path = flags.dataDir ?? load(flags).storage.dataDir;
      if (flags.diff !== undefined && diffTo === undefined) throw new UsageError('--diff needs two points: --diff A B');
      if (flags.diff === undefined && diffTo !== undefined) throw new UsageError(`unexpected argument ${diffTo} (the data dir is given with --data-dir)`);
      process.exitCode = await runReplay({
        path,
        ...(flags.at !== undefined ? { at: String(flags.at) } : {}),
        ...(flags.job !== undefined ? { job: String(flags.job) } : {}),
        ...(flags.verify ? { verify: true } : {}),
        ...(flags.export !== undefined ? { export: flags.export === true || flags.export === '' ? '-' : String(flags.export) } : {}),
        ...(flags.diff !== undefined ? { diff: [String(flags.diff), String(diffTo)] as [string, string] } : {}),
        json: flags.json === true,
        includeOutput: flags.includeOutput === true,
        filter: replayFilter(flags),
      }, process.stdout);
    });

  cli.help();
  cli.version(VERSION);
  // mri (cac's parser) reads a lone "-" as no value; "--export -" means stdout, as usual, and a
  // bare --export already does, so the "-" is dropped.
  const args = argv.filter((a, i) => !(a === '-' && argv[i - 1] === '--export'));
  cli.parse(['node', 'joblet', ...args], { run: false });
  await cli.runMatchedCommand();
}

/** A mistake in how joblet was called: one line, exit 1. */
class UsageError extends Error {}

function replayFilter(f: ReplayFlags): EventFilter {
  const position = (v: string | undefined, flag: string) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(String(v))) throw new UsageError(`${flag}: "${v}" is not a log position (a positive integer)`);
    return Number(v);
  };
  const time = (v: string | undefined, flag: string) => {
    if (v === undefined) return undefined;
    const t = Date.parse(String(v));
    if (Number.isNaN(t)) throw new UsageError(`${flag}: "${v}" is not a time (use RFC 3339, e.g. 2025-01-31T12:00:00Z)`);
    return t;
  };
  const filter: EventFilter = {
    fromPosition: position(f.from, '--from'), toPosition: position(f.to, '--to'),
    since: time(f.since, '--since'), until: time(f.until, '--until'),
    types: f.type === undefined ? undefined : String(f.type).split(',').map((t) => t.trim()).filter(Boolean),
    callerCn: f.user === undefined ? undefined : String(f.user),
  };
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as EventFilter;
}

function load(flags: Flags) {
  return loadConfig({ configPath: flags.config, overrides: { dataDir: flags.dataDir, listen: flags.listen } });
}

export function handleError(err: unknown): void {
  if (err instanceof ConfigError || err instanceof UsageError || (err instanceof Error && err.name === 'CACError')) console.error(`Error: ${err.message}`);
  else if (err instanceof Error && err.message.startsWith('replay: ')) console.error(`Error: ${err.message.slice('replay: '.length)}`);
  else if (err instanceof Error && err.message.startsWith('event log ')) console.error(`Error: ${err.message}`);
  else if (err instanceof Error && 'code' in err && err.code === 'EADDRINUSE') console.error(`Error: ${err.message} (another daemon is running; use --listen to pick another port)`);
  else console.error(err);
  process.exitCode = 1;
}
