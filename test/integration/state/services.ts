// Real backend servers for the State tests, each on a free loopback port in its own temp dir:
// redis-server (Debian's package; .ci/run installs it) and dynalite (a DynamoDB-protocol server on
// LevelDB, from npm) in a child process, so both can be stopped and started again on the same
// port and data. Nothing listens beyond 127.0.0.1.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

async function waitListening(port: number, child: ChildProcess, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before listening on ${port}`);
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1', () => { c.destroy(); r(true); });
      c.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`${what} not listening on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** Why redis-server cannot run here, or undefined when it can. */
export function redisUnavailable(): string | undefined {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.error ? `redis-server not found (${(r.error as NodeJS.ErrnoException).code}); install Debian's redis-server (.ci/run does)` : undefined;
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number, readonly dir: string) {}

  get url(): string { return `redis://127.0.0.1:${this.port}`; }

  static async start(): Promise<RedisServer> {
    const s = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'joblet-redis-')));
    await s.up();
    return s;
  }

  /** Starts (again) on the same port; loads dump.rdb if a graceful stop left one. */
  async up(): Promise<void> {
    // No automatic snapshots and no AOF: only stop() writes the data, so restarts keep it and
    // the tests write nothing else to disk.
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: 'ignore' });
    await waitListening(this.port, this.child, 'redis-server');
  }

  /** SHUTDOWN SAVE: the data survives into the next up(), like a restart of a persistent Redis. */
  async stop(): Promise<void> {
    if (!this.child) return;
    const child = this.child;
    this.child = undefined;
    spawnSync('redis-cli', ['-p', String(this.port), 'shutdown', 'save'], { stdio: 'ignore' });
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited(child);
    clearTimeout(t);
  }

  async close(): Promise<void> {
    if (this.child) { const c = this.child; this.child = undefined; c.kill('SIGKILL'); await exited(c); }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const require = createRequire(import.meta.url);

export class DynaliteServer {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number, readonly dir: string) {}

  get endpoint(): string { return `http://127.0.0.1:${this.port}`; }

  static async start(): Promise<DynaliteServer> {
    // The SDK's credential chain would fall back to the EC2 metadata address; give it static
    // credentials (dynalite accepts any) and forbid that fallback, so only loopback is contacted.
    process.env.AWS_ACCESS_KEY_ID ??= 'joblet-test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'joblet-test';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const s = new DynaliteServer(await freePort(), mkdtempSync(join(tmpdir(), 'joblet-dynalite-')));
    await s.up();
    return s;
  }

  async up(): Promise<void> {
    const cli = join(require.resolve('dynalite'), '..', 'cli.js');
    this.child = spawn(process.execPath, [cli, '--host', '127.0.0.1', '--port', String(this.port), '--path', this.dir, '--createTableMs', '0'], { stdio: 'ignore' });
    await waitListening(this.port, this.child, 'dynalite');
  }

  /** Stops the server; LevelDB keeps the data in `dir` for the next up(). */
  async stop(): Promise<void> {
    if (!this.child) return;
    const c = this.child;
    this.child = undefined;
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited(c);
    clearTimeout(t);
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
