// Keeps one child process alive: when it exits while not asked to, it is started again after an
// exponential backoff (200 ms doubling to 10 s), reset once a child has lived for 30 s, so a child
// that crashes at start does not spin and one that crashes rarely comes back at once.
import type { Logger } from 'pino';

const FIRST_MS = 200;
const MAX_MS = 10_000;
const HEALTHY_MS = 30_000;

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export class Supervisor {
  restarts = 0;
  private stopped = false;
  private cancelWait: (() => void) | undefined;

  constructor(private readonly name: string, private readonly log: Logger, private readonly run: () => Promise<Exit>) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.cancelWait?.();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const started = Date.now();
      const exit = await this.run();
      if (this.stopped) return;
      failures = Date.now() - started >= HEALTHY_MS ? 1 : failures + 1;
      const wait = Math.min(MAX_MS, FIRST_MS * 2 ** (failures - 1));
      this.restarts++;
      this.log.error({ exitCode: exit.code, signal: exit.signal, restartInMs: wait, restarts: this.restarts }, `${this.name} exited; restarting`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, wait);
        this.cancelWait = () => { clearTimeout(t); r(); };
      });
      this.cancelWait = undefined;
    }
  }
}

/**
 * Asks a supervised child to stop (`askToStop` sends its stop message) and waits for its exit;
 * SIGKILL after `graceMs` if it has not gone by then (a child stuck on a dead backend or disk).
 */
export async function stopChild(child: { once(event: 'exit', l: () => void): unknown; kill(signal: NodeJS.Signals): boolean }, askToStop: () => void, graceMs: number): Promise<void> {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  askToStop();
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(killer);
}
