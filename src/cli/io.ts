// The process surface main() touches, injectable so tests drive main() without a child process.
import { homedir } from 'node:os';

export interface OutStream {
  write(chunk: string | Uint8Array, cb?: (err?: Error | null) => void): boolean;
  once(event: 'drain', listener: () => void): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  stdin?: NodeJS.ReadableStream;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  home?: string;
  /** Where the exit status goes; the default sets process.exitCode (never process.exit mid-flight). */
  setExitCode?: (code: number) => void;
  /** Config locations after ~/.rnx; tests replace them so a host's /etc/joblet cannot leak in. */
  systemConfigPaths?: string[];
}

export type Io = Required<Omit<CliIo, 'stdin'>> & { stdin?: NodeJS.ReadableStream };

export const SYSTEM_CONFIG_PATHS = ['/etc/joblet/rnx-config.yml', '/opt/joblet/config/rnx-config.yml'];

export function resolveIo(io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Io {
  return {
    stdout: io.stdout,
    stderr: io.stderr,
    stdin: io.stdin,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    home: io.home ?? homedir(),
    setExitCode: io.setExitCode ?? ((code) => { process.exitCode = code; }),
    systemConfigPaths: io.systemConfigPaths ?? SYSTEM_CONFIG_PATHS,
  };
}

/** Writes and waits for the stream to accept more, so large outputs keep memory flat. */
export function writeOut(out: OutStream, chunk: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (out.write(chunk)) resolve();
    else out.once('drain', resolve);
  });
}
