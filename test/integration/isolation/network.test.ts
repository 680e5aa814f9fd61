// Isolation spec #8 (network) on the real kernel: with network=none the job has its own network
// namespace holding only lo (up), and nothing of the host is reachable; network=host is the
// control that shows the same connection does work when the namespace is shared.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readlinkSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { closeExecutor, rootTest, sh } from './runJob.js';

let server: Server;
let port = 0;
let accepted = 0;

test.before(async () => {
  server = createServer((s) => { accepted++; s.end('host-secret\n'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

// bash's /dev/tcp needs no client tool; python3 is Debian's and lives under /usr
const connect = () => `exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected && cat <&3 || echo refused`;
const selfLoop = 'python3 -c "import socket; s=socket.socket(); s.bind((\'127.0.0.1\', 0)); s.listen(); c=socket.create_connection(s.getsockname()); print(\'lo works\')"';

rootTest(test, '#8 network=none: only lo exists, it is up, and the namespace is not the host\'s', async () => {
  const r = await sh(`cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "; readlink /proc/self/ns/net; ${selfLoop}`);
  const [ifaces, ns, lo] = [r.stdout.split('\n')[0], r.stdout.split('\n')[1], r.stdout.split('\n')[2]];
  assert.is(ifaces, 'lo', r.stdout + r.stderr + (r.startFailed ?? ''));
  assert.is.not(ns, readlinkSync('/proc/self/ns/net'));
  assert.is(lo, 'lo works', r.stderr);
});

rootTest(test, '#8 network=none: no two jobs share a namespace, though the spawner makes them ahead (a pool of 4)', async () => {
  // Six at once, more than the pool holds, so pooled and made-on-demand namespaces both run; each
  // job stays alive a while so all six exist together (a dead namespace's inode number may be reused).
  const seen = await Promise.all(Array.from({ length: 6 }, async () =>
    (await sh('readlink /proc/self/ns/net; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "; sleep 2')).stdout));
  const ids = seen.map((out) => out.split('\n')[0]);
  assert.ok(seen.every((out) => out.split('\n')[1] === 'lo'), seen.join(' | '));
  assert.is(new Set(ids).size, ids.length, `every job its own namespace: ${ids.join(' ')}`);
  assert.not.ok(ids.includes(readlinkSync('/proc/self/ns/net')), 'none of them the host\'s');
});

rootTest(test, '#8 network=none: a service on the host\'s loopback is unreachable', async () => {
  const before = accepted;
  const r = await sh(`bash -c '${connect()}' 2>&1`);
  assert.match(r.stdout, /Connection refused/);
  assert.match(r.stdout, /refused\n$/);
  assert.not.match(r.stdout, /host-secret/);
  assert.is(accepted, before);
});

rootTest(test, '#8 network=host (allowed only by config): the same connection works, so the check above can fail', async () => {
  const r = await sh(`bash -c '${connect()}'; readlink /proc/self/ns/net`, { isolation: { network: 'host' } });
  assert.is(r.stdout, `connected\nhost-secret\n${readlinkSync('/proc/self/ns/net')}\n`, r.stderr);
});

test.after(async () => {
  server.close();
  await closeExecutor();
});
test.run();
