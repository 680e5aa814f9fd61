// The real `joblet` binary as a separate process on a data dir and a free loopback port, for the
// end-to-end tests that drive it with `node bin/rnx.js` the way scripts do.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './freePort.js';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

export const REPO_ROOT = repoRoot();
export const RNX_BIN = join(REPO_ROOT, 'bin', 'rnx.js');

export interface DaemonBinary {
  child: ChildProcess;
  /** What the daemon printed so far (its JSON log lines). */
  log(): string;
  /** SIGTERM, then wait up to 5 s for the exit. */
  stop(): Promise<void>;
}

/** Starts `bin/joblet.js --data-dir dataDir`; resolves once it logs "serving". */
export async function startDaemonBinary(dataDir: string): Promise<DaemonBinary> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'joblet.js'), '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not log "serving" in 15 s:\n${log}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      log += d;
      for (const line of log.split('\n')) {
        try {
          if (JSON.parse(line).msg === 'serving') { clearTimeout(timer); resolve(); }
        } catch { /* partial or non-JSON line */ }
      }
    });
    child.stderr!.on('data', (d: Buffer) => { log += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`daemon exited with ${code}:\n${log}`)); });
  });
  return {
    child,
    log: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((res) => child.once('exit', res));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((res) => setTimeout(res, 5000).unref())]);
    },
  };
}
