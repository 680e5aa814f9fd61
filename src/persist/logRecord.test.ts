import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeRecords, encodeRecord, RecordParser, RECORD_HEADER_BYTES, type LogRecord } from './logRecord.js';

const records: LogRecord[] = [
  { position: 1, at: 1_700_000_000_123, stream: 'stdout', data: Buffer.from('hello\n') },
  { position: 2 ** 40, at: 1_700_000_000_124, stream: 'stderr', data: Buffer.from([0, 255, 10, 0]) },
  { position: 2 ** 40 + 1, at: 0, stream: 'stdout', data: Buffer.alloc(0) },
];

test('records round-trip: position, capture time, stream and bytes (NULs, empty)', () => {
  const bytes = Buffer.concat(records.map(encodeRecord));
  assert.is(bytes.length, 3 * RECORD_HEADER_BYTES + 6 + 4);
  const back = decodeRecords(bytes);
  assert.equal(back.map((r) => ({ ...r, data: Buffer.from(r.data).toString('hex') })), records.map((r) => ({ ...r, data: Buffer.from(r.data).toString('hex') })));
});

test('the parser takes input split at any byte and keeps a partial tail', () => {
  const bytes = Buffer.concat(records.map(encodeRecord));
  for (let cut = 1; cut < bytes.length; cut++) {
    const p = new RecordParser();
    const got = [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut))];
    assert.equal(got.map((r) => r.position), records.map((r) => r.position), `cut at ${cut}`);
    assert.is(p.leftover, 0);
  }
  const p = new RecordParser();
  assert.is([...p.push(bytes.subarray(0, bytes.length - 2))].length, 2);
  assert.is(p.leftover, RECORD_HEADER_BYTES - 2);  // the last (empty) record lacks 2 header bytes
});

test('a torn end is an error for a whole file; an unknown format is named', () => {
  const bytes = encodeRecord(records[0]);
  assert.throws(() => decodeRecords(bytes.subarray(0, bytes.length - 1)), /incomplete record/);
  const bad = Buffer.from(bytes);
  bad[5] = 9;
  assert.throws(() => decodeRecords(bad), /format 9/);
});

test.run();
