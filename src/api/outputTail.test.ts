import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TailCutter, TailFinder } from './outputTail.js';
import type { OutputChunk } from './outputHistory.js';

let pos = 0;
const chunk = (stream: 'stdout' | 'stderr', text: string): OutputChunk => ({ position: ++pos, at: pos, stream, data: Buffer.from(text) });
/** Both passes over the same chunks, as the engine reads the output twice. */
const tailOf = (n: number, chunks: OutputChunk[]) => {
  const finder = new TailFinder(n);
  for (const c of chunks) finder.push(c);
  const cut = finder.cut();
  if (cut === 'none') return [];
  const cutter = cut === 'all' ? undefined : new TailCutter(cut);
  const out = cutter ? chunks.map((c) => cutter.take(c)).filter((c): c is OutputChunk => c !== undefined) : chunks;
  return out.map((c) => `${c.stream}:${Buffer.from(c.data).toString()}`);
};

test('the last N lines of one stream, cut at a line start inside a chunk', () => {
  assert.equal(tailOf(2, [chunk('stdout', 'a\nb\nc\n'), chunk('stdout', 'd\n')]), ['stdout:c\n', 'stdout:d\n']);
  assert.equal(tailOf(1, [chunk('stdout', 'a\nb\nc\n')]), ['stdout:c\n']);
});

test('an unterminated last line counts as a line', () => {
  assert.equal(tailOf(1, [chunk('stdout', 'a\nb')]), ['stdout:b']);
  assert.equal(tailOf(2, [chunk('stdout', 'a\nb')]), ['stdout:a\nb']);
});

test('a line spread over chunks comes whole, from the chunk where it starts', () => {
  assert.equal(tailOf(1, [chunk('stdout', 'x\nlo'), chunk('stdout', 'ng li'), chunk('stdout', 'ne\n')]), ['stdout:lo', 'stdout:ng li', 'stdout:ne\n']);
});

test('lines of both streams are ordered by where they start', () => {
  const chunks = [chunk('stdout', 'o1\no2\n'), chunk('stderr', 'e1\n'), chunk('stdout', 'o3\n'), chunk('stderr', 'e2\ne3\n')];
  assert.equal(tailOf(3, chunks), ['stdout:o3\n', 'stderr:e2\ne3\n']);
  assert.equal(tailOf(4, chunks), ['stderr:e1\n', 'stdout:o3\n', 'stderr:e2\ne3\n']);
  assert.equal(tailOf(5, chunks), ['stdout:o2\n', 'stderr:e1\n', 'stdout:o3\n', 'stderr:e2\ne3\n']);
});

test('a stream whose open line started before the cut sends nothing of it', () => {
  // stdout's line "aaaa" starts first, then stderr has two lines, then stdout's line goes on
  const chunks = [chunk('stdout', 'aa'), chunk('stderr', 'e1\ne2\n'), chunk('stdout', 'aa\nz\n')];
  assert.equal(tailOf(2, chunks), ['stderr:e2\n', 'stdout:z\n']);
  assert.equal(tailOf(3, chunks), ['stderr:e1\ne2\n', 'stdout:z\n']);
  assert.equal(tailOf(4, chunks), ['stdout:aa', 'stderr:e1\ne2\n', 'stdout:aa\nz\n']);
});

test('fewer lines than asked: everything; zero lines: nothing', () => {
  assert.equal(tailOf(100, [chunk('stdout', 'a\n'), chunk('stderr', 'b')]), ['stdout:a\n', 'stderr:b']);
  assert.equal(tailOf(0, [chunk('stdout', 'a\n')]), []);
});

test('a long history of small chunks: exactly its last lines', () => {
  const chunks = Array.from({ length: 100_000 }, (_, i) => chunk('stdout', `line ${i}\n`));
  assert.equal(tailOf(3, chunks), ['stdout:line 99997\n', 'stdout:line 99998\n', 'stdout:line 99999\n']);
});

test('one huge line: the cut is noted by position, not by keeping its bytes', () => {
  const big = chunk('stdout', 'y'.repeat(1 << 20));
  const chunks = [chunk('stdout', 'before\n'), big, chunk('stdout', 'y'.repeat(10)), chunk('stderr', 'e\n')];
  const finder = new TailFinder(2);
  for (const c of chunks) finder.push(c);
  assert.equal(finder.cut(), { position: big.position, offset: 0, stream: 'stdout', otherAtLineStart: true });
  assert.equal(tailOf(2, chunks).map((s) => s.length), [`stdout:${'y'.repeat(1 << 20)}`.length, 'stdout:yyyyyyyyyy'.length, 'stderr:e\n'.length]);
});

test.run();
