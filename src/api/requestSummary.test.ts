// The request summary kept in a RequestRejected event: secrets masked, bytes as a length, bounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { summarizeRequest } from './requestSummary.js';

test('secret values are masked wherever the key says secret, password or token; names stay', () => {
  const s = summarizeRequest({ command: 'run', secret_environment: { API_KEY: 'v1', DB: 'v2' }, nested: { password: 'p', auth_token: ['t'] } });
  assert.equal(s, { command: 'run', secret_environment: { API_KEY: '***', DB: '***' }, nested: { password: '***', auth_token: ['***'] } });
  assert.not.ok(JSON.stringify(s).includes('v1'));
});

test('bytes become a length, defaults are left out, long strings and lists are cut', () => {
  const s = summarizeRequest({ uploads: [{ path: 'a', content: Buffer.alloc(5000), mode: 0 }], args: Array.from({ length: 20 }, (_, i) => `a${i}`), work_dir: '', max_cpu: 0, env: {}, note: 'x'.repeat(300) });
  assert.equal(s.uploads, [{ path: 'a', content: '<5000 bytes>' }]);
  assert.is((s.args as string[]).length, 17);
  assert.is((s.args as string[])[16], '...(4 more)');
  assert.not.ok('work_dir' in s || 'max_cpu' in s || 'env' in s);
  assert.is(s.note, `${'x'.repeat(256)}...(300 chars)`);
});

test('deep nesting stops at a fixed depth', () => {
  assert.equal(summarizeRequest({ a: { b: { c: { d: { e: 1 } } } } }), { a: { b: { c: { d: '...' } } } });
});

test.run();
