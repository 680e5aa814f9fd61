// Entry of the State child (child_process.fork). It writes the records the daemon sends to the
// backend through a BatchWriter and reports every acknowledged position back; it keeps nothing
// the daemon cannot resend, so a crash costs a resend from the daemon's checkpoint, not a record.
import type { StateBackend } from './backend.js';
import { createBackend } from './backends.js';
import { BatchWriter } from './batchWriter.js';
import type { FromChild, ToChild } from './protocol.js';

let backend: StateBackend | undefined;
let writer: BatchWriter | undefined;

const send = (m: FromChild): void => { if (process.connected) process.send!(m); };

async function onMessage(m: ToChild): Promise<void> {
  switch (m.t) {
    case 'init': {
      try {
        backend = await createBackend(m.settings, m.dataDir);
      } catch (err) {
        send({ t: 'fatal', error: (err as Error).message });
        process.exitCode = 1;
        process.disconnect();
        return;
      }
      writer = new BatchWriter(backend, m.settings, {
        acked: (upTo, records, at) => send({ t: 'acked', upTo, records, at }),
        failed: (error, attempt, retryInMs) => send({ t: 'failed', error, attempt, retryInMs }),
      });
      send({ t: 'ready', backend: backend.name });
      break;
    }
    case 'records':
      writer?.push(m.upTo, m.records);
      break;
    case 'list':
      try {
        if (!backend) throw new Error('state child: list before init');
        send({ t: 'listed', id: m.id, records: await backend.list(m.nodeId) });
      } catch (err) {
        send({ t: 'listed', id: m.id, error: (err as Error).message });
      }
      break;
    case 'stop':
      await shutdown();
      break;
  }
}

let closing: Promise<void> | undefined;
function shutdown(abandon = false): Promise<void> {
  closing ??= close(abandon);
  return closing;
}

async function close(abandon: boolean): Promise<void> {
  await (abandon ? writer?.abort() : writer?.stop());
  await backend?.close();
  if (process.connected) process.disconnect();
  // A client library that keeps a socket or timer open must not keep a stopped child alive.
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on('message', (m) => { void onMessage(m as ToChild); });
// The daemon is gone (crashed or killed): nothing more can be acknowledged, and the next daemon
// resends everything after its checkpoint through its own child, so write nothing more (for the
// `local` backend a late whole-file write would race the new child's).
process.on('disconnect', () => { void shutdown(true); });
