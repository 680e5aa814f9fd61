#!/usr/bin/env node
// Runs every compiled bench (dist/bench/*.js) in its own process, one after another, so no bench
// measures another's heap, JIT state or disk traffic; their output passes straight through.
// Usage: npm run bench [-- FILTER...]   (a filter is a substring of the bench's file name)
//   BENCH_EVENTS=100000 npm run bench   a quicker run: passed to each bench as its event count
import { spawn } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'dist', 'bench');
// Shared helpers compile next to the benches but measure nothing.
const HELPERS = new Set(['common.js', 'daemonClient.js']);
const filters = process.argv.slice(2);

if (!existsSync(dir)) {
  console.error(`no compiled benches in ${dir} (run npm run build first)`);
  process.exit(1);
}
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.js') && !HELPERS.has(f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const events = process.env.BENCH_EVENTS;
if (events !== undefined && !/^[1-9][0-9_]*$/.test(events)) {
  console.error(`BENCH_EVENTS must be a positive integer such as 100000 (got ${JSON.stringify(events)})`);
  process.exit(1);
}

function run(file) {
  return new Promise((resolve) => {
    // Benches take their size as the first argument (eventlog.js reads only that).
    const args = [join(dir, file), ...(events ? [events.replace(/_/g, '')] : [])];
    const t0 = Date.now();
    console.log(`\n── ${file}${events ? ` (${events} events)` : ''}`);
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
    child.on('close', (code, signal) => {
      console.log(`── ${file}: ${code === 0 ? 'done' : `FAILED (exit ${code ?? signal})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      resolve(code === 0);
    });
  });
}

const failed = [];
for (const file of benches) if (!(await run(file))) failed.push(file);
if (benches.length === 0) console.log(`no bench matches ${filters.join(' ')} (benches: ${readdirSync(dir).filter((f) => f.endsWith('.js') && !HELPERS.has(f)).join(', ')})`);
if (failed.length) console.log(`\nfailed: ${failed.join(', ')}`);
process.exitCode = failed.length > 0 || benches.length === 0 ? 1 : 0;
