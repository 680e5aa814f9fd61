// Splits rnx's argv before cac sees it. cac (like most parsers) reads flags anywhere on the line,
// which would swallow the job's own flags in `rnx job run ls -la`; and cac matches one-word command
// names only, so the `job` group word is folded away here (`rnx job list` ≡ `rnx list`).

/** Flags that never take a value; every other flag before the job command takes one. */
const BOOLEAN_FLAGS = new Set(['--json', '--help', '-h', '--version', '-v', '--follow', '-f', '--all-nodes',
  '--timestamps', '--stdout', '--stderr', '--no-follow']);

/** Command groups whose verbs are registered flat (the old aliases share the names). */
const GROUPS = new Set(['job']);

export interface SplitArgv {
  /** What cac parses: global flags, the verb and its flags. */
  cli: string[];
  /** For `run`: the job's command and arguments, untouched. */
  job: string[];
  /** The group word that was folded away, if any (for help and messages). */
  group?: string;
}

export function splitArgv(argv: readonly string[]): SplitArgv {
  const cli: string[] = [];
  const words: string[] = [];
  let group: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    const inRun = words[0] === 'run';
    if (tok === '--') {
      // After `run`, `--` ends rnx's flags; elsewhere leave it to cac.
      if (inRun) return { cli, job: argv.slice(i + 1), group };
      cli.push(...argv.slice(i));
      break;
    }
    if (tok.startsWith('-') && tok !== '-') {
      cli.push(tok);
      const takesValue = !tok.includes('=') && !BOOLEAN_FLAGS.has(tok) && i + 1 < argv.length;
      if (takesValue) cli.push(argv[++i]);
      continue;
    }
    if (words.length === 0 && group === undefined && GROUPS.has(tok)) {
      group = tok;
      continue;
    }
    if (inRun) return { cli, job: argv.slice(i), group };
    words.push(tok);
    cli.push(tok);
  }
  return { cli, job: [], group };
}

/**
 * Every value given for a flag (any of its spellings, e.g. ['-e', '--env']), exactly as typed.
 * cac's parser (mri) turns numeric-looking values into numbers ("007" → 7, "1e3" → 1000), which
 * would rename a volume or accept a float as a limit, so commands read their values from here and
 * use cac for matching, unknown-flag checks and help.
 */
export function flagValues(cli: readonly string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < cli.length; i++) {
    const tok = cli[i];
    if (tok === '--') break;
    if (!tok.startsWith('-') || tok === '-') continue;
    const eq = tok.indexOf('=');
    if (eq > 0) {
      if (names.includes(tok.slice(0, eq))) out.push(tok.slice(eq + 1));
    } else if (!BOOLEAN_FLAGS.has(tok) && i + 1 < cli.length) {
      const value = cli[++i];
      if (names.includes(tok)) out.push(value);
    }
  }
  return out;
}
