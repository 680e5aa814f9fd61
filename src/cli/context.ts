// What every command gets: the injected io, the global flags, raw flag values, and a lazily opened
// session (so `rnx nodes` and `--help` work without a server, and each run opens one channel).
import { flagValues } from './argv.js';
import { openSession, type Session } from './client.js';
import { findConfigPath, loadConfig, selectNode, type RnxConfig } from './config.js';
import type { Io } from './io.js';

export class Context {
  private opened?: Session;
  private loaded?: RnxConfig;

  constructor(readonly io: Io, readonly cliArgv: readonly string[], readonly jobArgv: readonly string[]) {}

  /** Every value of a flag as typed (see flagValues), e.g. values('-e', '--env'). */
  values(...names: string[]): string[] {
    return flagValues(this.cliArgv, names);
  }

  /** The last value of a flag, as command-line tools usually let a later flag win. */
  value(...names: string[]): string | undefined {
    return this.values(...names).at(-1);
  }

  get json(): boolean {
    return this.cliArgv.includes('--json');
  }

  config(): RnxConfig {
    this.loaded ??= loadConfig(findConfigPath({
      explicit: this.value('--config'), env: this.io.env, cwd: this.io.cwd, home: this.io.home, systemPaths: this.io.systemConfigPaths,
    }));
    return this.loaded;
  }

  session(): Session {
    if (!this.opened) {
      const config = this.config();
      this.opened = openSession(selectNode(config, this.value('--node')), config.path);
    }
    return this.opened;
  }

  out(text: string | Uint8Array): void {
    this.io.stdout.write(text);
  }

  close(): void {
    this.opened?.close();
  }
}
