// rnx entry point. bin/rnx.js is `main(argv).catch(handleError)`: expected failures are printed
// here as one `Error: ...` line with a non-zero exit status; anything else escapes to handleError,
// which prints the stack because it is a bug.
import { cac, type CAC } from 'cac';
import { splitArgv } from './argv.js';
import { Context } from './context.js';
import { CliError } from './errors.js';
import { helpText } from './help.js';
import { resolveIo, type CliIo, type Io } from './io.js';
import * as cancel from './commands/cancel.js';
import * as deleteAll from './commands/delete-all.js';
import * as del from './commands/delete.js';
import * as events from './commands/events.js';
import * as history from './commands/history.js';
import * as list from './commands/list.js';
import * as log from './commands/log.js';
import * as metrics from './commands/metrics.js';
import * as nodes from './commands/nodes.js';
import * as run from './commands/run.js';
import * as status from './commands/status.js';
import * as stop from './commands/stop.js';
import { showVersion } from './commands/version.js';

function buildCli(ctx: Context): CAC {
  const cli = cac('rnx');
  cli.option('--config <path>', 'Config file (default: $RNX_CONFIG, ./rnx-config.yml, ./config/, ~/.rnx/, /etc/joblet/, /opt/joblet/config/)')
    .option('--node <name>', 'Node from the config file (default: the one marked isDefault, else "default")')
    .option('--json', 'Print JSON instead of text')
    .option('-v, --version', 'Print the client and server versions')
    .option('-h, --help', 'Show help');
  for (const cmd of [run, list, status, log, stop, cancel, del, deleteAll, history, metrics, events, nodes]) cmd.register(cli, ctx);
  return cli;
}

// cac's parse errors read "Unknown option `--foo`"; say where to look next.
function fromCacError(err: Error, command: string | undefined): CliError {
  const msg = err.message.replace(/`/g, '').replace(/^Unknown/, 'unknown');
  return new CliError(`${msg}; see 'rnx ${command ? `job ${command} ` : ''}--help'`, 2);
}

function report(err: unknown, io: Io, command: string | undefined): void {
  const e = err instanceof Error && err.name === 'CACError' ? fromCacError(err, command) : err;
  if (!(e instanceof CliError)) throw e;
  io.stderr.write(`Error: ${e.message}\n`);
  io.setExitCode(e.exitCode);
}

export async function main(argv: string[], cliIo?: CliIo): Promise<void> {
  const io = resolveIo(cliIo);
  const split = splitArgv(argv);
  const ctx = new Context(io, split.cli, split.job);
  const cli = buildCli(ctx);
  try {
    cli.parse(['node', 'rnx', ...split.cli], { run: false });
    if (cli.options.help) {
      io.stdout.write(helpText(cli));
    } else if (cli.options.version) {
      await showVersion(ctx);
    } else if (!cli.matchedCommand) {
      if (cli.args.length > 0) throw new CliError(`unknown command "${cli.args[0]}"; run 'rnx --help' for the list`, 2);
      io.stdout.write(helpText(cli));
      io.setExitCode(2);
    } else {
      await cli.runMatchedCommand();
    }
  } catch (err) {
    report(err, io, cli.matchedCommandName);
  } finally {
    ctx.close();
  }
}

/** For errors main() did not expect: print the stack, since this is a bug to report. */
export function handleError(err: unknown): void {
  if (err instanceof CliError) {
    process.stderr.write(`Error: ${err.message}\n`);
    process.exitCode = err.exitCode;
    return;
  }
  process.stderr.write(`rnx: internal error (please report it): ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
}
