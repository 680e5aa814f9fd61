// A compacted output event on the event tail says it was compacted and keeps its byte count
// (rnx job history totals add byte_count), instead of looking like an empty write.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JobEvent } from '../events/jobEvents.js';
import { toWireEvent } from './eventWire.js';

const opts = { nodeId: 'n1', showPeer: () => false, includeOutput: true };
const written: JobEvent = { type: 'JobOutputWritten', jobId: 'j', at: 1000, stream: 'stderr', data: new Uint8Array(Buffer.from('hello')), spoolEnd: 5 };
const stub: JobEvent = { type: 'JobOutputWritten', jobId: 'j', at: 1000, stream: 'stderr', data: new Uint8Array(0), spoolEnd: 5, compactedBytes: 5 };

test('an output event goes out with its bytes and compacted false', () => {
  const w = toWireEvent(3, written, opts);
  assert.equal({ ...w.output, data: Buffer.from(w.output!.data as Buffer).toString() }, { stream: 'stderr', byte_count: 5, compacted: false, data: 'hello' });
  assert.is(w.summary, 'stderr 5 bytes');
});

test('a compaction stub goes out with the original byte count, compacted true and no bytes', () => {
  const w = toWireEvent(3, stub, opts);
  assert.is(w.output!.byte_count, 5);
  assert.is(w.output!.compacted, true);
  assert.is(Buffer.from(w.output!.data as Buffer).length, 0);
  assert.is(w.summary, 'stderr 5 bytes (compacted: stored by the persist service)');
});

test.run();
