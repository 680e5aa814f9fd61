// The persist feed's data pipe, child side: bytes are handed out in request order and exactly
// the requested lengths, whatever the pipe's chunking; a pipe that ends fails what it cannot give.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import { FeedBytes, writeFeedBytes } from '../../../src/persist/feedPipe.js';

test('lengths across and within chunks, in request order, the same bytes as written', async () => {
  const pipe = new PassThrough();
  const bytes = new FeedBytes(pipe);
  const written = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  // requests first, then the bytes in odd-sized chunks
  const wants = [1, 0, 300, 7, 500, 192].map((n) => bytes.take(n));
  for (let at = 0; at < written.length; at += 123) writeFeedBytes(pipe, [written.subarray(at, Math.min(at + 123, written.length))]);
  const got = await Promise.all(wants);
  assert.equal(got.map((b) => b.length), [1, 0, 300, 7, 500, 192]);
  assert.ok(Buffer.concat(got).equals(written));
});

test('a request made after its bytes arrived is served at once; an ended pipe rejects the rest', async () => {
  const pipe = new PassThrough();
  const bytes = new FeedBytes(pipe);
  writeFeedBytes(pipe, [Buffer.from('abc'), Buffer.from('def')]);
  await new Promise((r) => setImmediate(r));
  assert.is((await bytes.take(4)).toString(), 'abcd');
  const short = bytes.take(5);
  pipe.end();
  await short.then(() => assert.unreachable('only 2 bytes were left'), (err: Error) => assert.match(err.message, /data pipe ended/));
});

test.run();
