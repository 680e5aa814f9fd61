// Output encoded in place (codec.outputBuffer, decision 0027): the stored bytes are exactly what
// msgpackr makes of the same event, the bytes are not copied, and a buffer's room is used once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeEnvelope, encodeEvent, outputBuffer } from './codec.js';

const event = (data: Uint8Array, extra: Record<string, unknown> = {}) =>
  ({ type: 'JobOutputWritten', jobId: 'b2f0c7d6-1111-2222-3333-444455556666', at: 1733600000123, stream: 'stderr', data, ...extra });

test('an output buffer is encoded where it lies, byte for byte as msgpackr encodes the event', () => {
  for (const n of [0, 1, 255, 256, 65_535, 65_536, 1 << 20]) {
    for (const extra of [{}, { spoolEnd: 5 }, { spoolEnd: 2 ** 40 + 3 }]) {
      const data = outputBuffer(n);
      for (let i = 0; i < n; i++) data[i] = (i * 13) & 0xff;
      const inPlace = encodeEvent(event(data, extra));
      assert.ok(inPlace.buffer === data.buffer, `n=${n}: encoded in the output buffer`);
      const copied = encodeEvent(event(Buffer.from(data), extra));
      assert.ok(inPlace.equals(copied), `n=${n} ${JSON.stringify(extra)}: same bytes as msgpackr`);
      const back = decodeEnvelope(inPlace) as { v: number; e: { data: Uint8Array } };
      assert.is(back.v, 1);
      assert.ok(Buffer.from(back.e.data).equals(data));
    }
  }
});

test('a buffer\'s room is used once; events that do not fit are encoded by copying', () => {
  const data = outputBuffer(10).fill(7);
  const first = encodeEvent(event(data));
  const second = encodeEvent(event(data, { spoolEnd: 1 }));
  assert.ok(second.buffer !== data.buffer, 'the second event is a copy');
  assert.ok(first.equals(encodeEvent(event(Buffer.from(data)))), 'the first is intact');
  const longId = outputBuffer(10);
  const e = { ...event(longId), jobId: 'x'.repeat(700) };
  const bytes = encodeEvent(e);
  assert.ok(bytes.buffer !== longId.buffer, 'no room for a long job id: copied');
  assert.equal((decodeEnvelope(bytes) as { e: { jobId: string } }).e.jobId, e.jobId);
});

test.run();
