// The status file as the supervisor appends it (native/state.c): created empty, then one whole line
// per write; a reader may find it at any of those points.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptStateError, readSupervisorStatus, STATUS_FILE } from './supervisorFiles.js';

const dir = mkdtempSync(join(tmpdir(), 'joblet-status-'));
const at = (text: string) => { writeFileSync(join(dir, STATUS_FILE), text); return readSupervisorStatus(dir); };

test('no file, or a file created but not yet written: no status yet', () => {
  assert.is(readSupervisorStatus(dir), undefined);
  assert.is(at(''), undefined);
});

test('whole lines: started, then its end', () => {
  assert.is(at('started 42\n')?.started, 42);
  const s = at('started 42\nexited 3\n');
  assert.equal([s?.started, s?.final], [42, { kind: 'exited', code: 3 }]);
  assert.is(at('error mount /proc: EPERM\n')?.error, 'mount /proc: EPERM');
});

test('a cut line is corrupt (the supervisor writes each line whole)', () => {
  assert.throws(() => at('started 42\nexi'), (e: unknown) => e instanceof CorruptStateError && /does not end with a newline/.test((e as Error).message));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
