// --schedule must reach the wire as an absolute RFC 3339 time, and bad input must stop before send.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CliError } from './errors.js';
import { checkTimeout, durationMs, parseSchedule } from './schedule.js';

const now = new Date('2030-06-01T12:00:00Z');

function fails(spec: string, pattern: RegExp): void {
  try {
    parseSchedule(spec, now);
  } catch (e) {
    assert.instance(e, CliError);
    assert.match((e as Error).message, /^--schedule: /);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`"${spec}" was accepted`);
}

test('durations are added to now and sent as UTC', () => {
  assert.is(parseSchedule('30s', now), '2030-06-01T12:00:30Z');
  assert.is(parseSchedule('5min', now), '2030-06-01T12:05:00Z');
  assert.is(parseSchedule('1h', now), '2030-06-01T13:00:00Z');
  assert.is(parseSchedule('2h30m', now), '2030-06-01T14:30:00Z');
  assert.is(parseSchedule('1.5h', now), '2030-06-01T13:30:00Z');
  assert.is(parseSchedule('1500ms', now), '2030-06-01T12:00:01.500Z');
});

test('RFC 3339 times are normalized to UTC', () => {
  assert.is(parseSchedule('2030-07-02T03:04:05Z', now), '2030-07-02T03:04:05Z');
  assert.is(parseSchedule('2030-07-02T03:04:05+02:00', now), '2030-07-02T01:04:05Z');
});

test('YYYY-MM-DD HH:MM:SS is local time', () => {
  const tz = process.env.TZ;
  process.env.TZ = 'America/New_York';
  try {
    assert.is(parseSchedule('2030-12-02 03:04:05', now), '2030-12-02T08:04:05Z');
    assert.is(parseSchedule('2030-07-02 03:04:05', now), '2030-07-02T07:04:05Z', 'daylight saving time applies');
  } finally {
    if (tz === undefined) delete process.env.TZ; else process.env.TZ = tz;
  }
});

test('bad or past values are refused with the flag name', () => {
  fails('soon', /cannot read "soon"/);
  fails('', /empty/);
  fails('0s', /not a positive duration/);
  fails('2030-02-30 10:00:00', /cannot read/);
  fails('2030-06-01', /cannot read/);
  fails('2020-01-01T00:00:00Z', /2020-01-01T00:00:00Z is in the past/);
  fails('2030-06-01T11:59:59Z', /in the past/);
});

test('durationMs only accepts number+unit pairs', () => {
  assert.is(durationMs('2h30m'), 9_000_000);
  assert.is(durationMs('30'), undefined);
  assert.is(durationMs('2024-01-01'), undefined);
});

test('--timeout is passed through once it reads as a duration', () => {
  assert.is(checkTimeout(' 30s '), '30s');
  assert.throws(() => checkTimeout('abc'), /^--timeout: "abc" is not a positive duration/);
  assert.throws(() => checkTimeout('0m'), /--timeout/);
});

test.run();
