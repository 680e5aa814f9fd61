// Help text built from cac's command table. cac's own help writes with console.info, which would
// bypass the injected io; this renders the same information onto whichever stream main() was given.
import type { CAC, Command } from 'cac';
import { table } from './format/text.js';

const optionRows = (cmd: Command) => cmd.options.map((o) => [`  ${o.rawName}`, o.description]);

function tableBody(rows: string[][]): string {
  return table(['', ''], rows).split('\n').slice(1).join('\n');
}

export function helpText(cli: CAC): string {
  const cmd = cli.matchedCommand;
  if (cmd) {
    const opts = optionRows(cmd);
    return [
      `Usage: rnx ${cmd.usageText ?? cmd.rawName}`, '', cmd.description, '',
      ...(opts.length ? ['Options:', tableBody(opts)] : []),
      'Global options:', tableBody(optionRows(cli.globalCommand)),
    ].join('\n');
  }
  const cmds = cli.commands.map((c) => [`  ${c.rawName}`, c.description]);
  return [
    'rnx: run and manage jobs on a joblet server', '',
    'Usage: rnx [--config PATH] [--node NAME] [--json] job <command> [args]',
    '       (run, list, status, log and stop also work without "job")', '',
    'Commands (job commands also as "rnx job <command>"):', tableBody(cmds),
    'Global options:', tableBody(optionRows(cli.globalCommand)),
    'Run "rnx job <command> --help" for a command\'s flags.', '',
  ].join('\n');
}
