import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir, openStore } from './tempStore.js';

const child = fileURLToPath(new URL('./crashChild.js', import.meta.url));

test('SIGKILL mid-append loses no acknowledged event and leaves no gap', async () => {
  const t = tempDir();
  try {
    const acked = new Map<number, number>();
    const proc = spawn(process.execPath, [child, t.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d) => { stderr += d; });
    let partial = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        const lines = (partial + d.toString()).split('\n');
        partial = lines.pop()!; // an unfinished line is not counted as acknowledged
        for (const line of lines) {
          const [p, n] = line.split(':').map(Number);
          acked.set(p, n);
        }
        if (acked.size >= 5000) { proc.kill('SIGKILL'); resolve(); }
      });
      proc.on('exit', () => reject(new Error(`child exited before the kill: ${stderr}`)));
    });
    assert.is(await exited, 'SIGKILL');

    const s = openStore(t.dir);
    try {
      const maxAcked = Math.max(...acked.keys());
      assert.ok(s.lastPosition >= maxAcked, `lastPosition ${s.lastPosition} < acknowledged ${maxAcked}`);
      const stored = new Map([...s.read()].map((e) => [e.position, e.event.n]));
      assert.is(stored.size, s.lastPosition, 'positions 1..last are all present');
      for (const [p, n] of acked) {
        if (stored.get(p) !== n) assert.unreachable(`acknowledged position ${p} (n=${n}) reads back as ${stored.get(p)}`);
      }
      // The log is still appendable right after the last recovered position.
      const [next] = await s.append([{ type: 'Noted', n: -1 }]);
      assert.is(next, stored.size + 1);
    } finally { await s.close(); }
  } finally { t.remove(); }
});

test.run();
