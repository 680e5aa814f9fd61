import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DurationError, parseDurationMs } from './duration.js';

test('accepts unit pairs Joblet users write', () => {
  assert.is(parseDurationMs('30s', 'timeout'), 30_000);
  assert.is(parseDurationMs('5m', 'timeout'), 300_000);
  assert.is(parseDurationMs('5min', 'timeout'), 300_000);
  assert.is(parseDurationMs('2h30m', 'timeout'), 9_000_000);
  assert.is(parseDurationMs('1h 30m', 'timeout'), 5_400_000);
  assert.is(parseDurationMs('100ms', 'stopGracePeriod'), 100);
  assert.is(parseDurationMs('1.5s', 'timeout'), 1500);
  assert.is(parseDurationMs('1d', 'timeout'), 86_400_000);
});

test('"0" alone is zero, a unit-less number is refused', () => {
  assert.is(parseDurationMs('0', 'timeout'), 0);
  assert.is(parseDurationMs('0s', 'timeout'), 0);
  assert.throws(() => parseDurationMs('30', 'timeout'), /timeout: must be a duration .*a number needs a unit \(got "30"\)/);
});

test('lenient parse-duration inputs are refused and the error names the field', () => {
  for (const bad of ['', 'abc', 'duration: 1h', '5 mins later', '-5s', '5s;', '10 parsecs', '1h x']) {
    let err: unknown;
    try {
      parseDurationMs(bad, 'schedule');
    } catch (e) {
      err = e;
    }
    assert.instance(err, DurationError, `expected ${JSON.stringify(bad)} to be refused`);
    assert.is((err as DurationError).field, 'schedule');
    assert.ok((err as Error).message.startsWith('schedule: must be a duration such as 30s'), (err as Error).message);
    assert.ok((err as Error).message.endsWith(`(got ${JSON.stringify(bad)})`), (err as Error).message);
  }
});

test('an unknown unit is named', () => {
  assert.throws(() => parseDurationMs('10 parsecs', 'timeout'), /unknown unit in "10 parsecs"/);
});

test.run();
