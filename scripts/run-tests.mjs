#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) in its own process, a few at a time, and ends
// with the line CI reads: "N passed, N failed, N skipped". uvu prints per-file totals only.
// Usage: npm test [-- FILTER...]   (a filter is a substring of the test file's path)
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const filters = process.argv.slice(2);
const perFileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 600_000);

function find(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') out.push(...find(p));
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = ['src', 'test'].flatMap((d) => { try { statSync(join(dist, d)); return find(join(dist, d)); } catch { return []; } })
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

// Kernel tests (test/integration, test/e2e, test/crash) run one at a time so timing-sensitive
// checks (CPU and IO limits) are not disturbed; unit tests run in parallel.
const serial = (f) => /[/\\]test[/\\](integration|e2e|crash)[/\\]/.test(f);
const totals = { passed: 0, failed: 0, skipped: 0 };
const failedFiles = [];

function runFile(file) {
  return new Promise((resolve) => {
    const name = relative(dist, file);
    const child = spawn(process.execPath, ['--enable-source-maps', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { out += `\n[runner] timed out after ${perFileTimeoutMs} ms\n`; child.kill('SIGKILL'); }, perFileTimeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const num = (label) => Number((out.match(new RegExp(`${label}:\\s+(\\d+)`)) ?? [])[1] ?? NaN);
      const total = num('Total'); const passed = num('Passed'); const skipped = num('Skipped');
      let failed;
      if (Number.isNaN(total)) { failed = 1; } else {
        failed = total - passed; totals.passed += passed; totals.skipped += skipped || 0;
        if (code !== 0 && failed === 0) failed = 1; // crashed after its tests, or an unhandled rejection
      }
      totals.failed += failed;
      if (failed > 0) failedFiles.push(name);
      process.stdout.write(`\n── ${name} (exit ${code})\n${out.trimEnd()}\n`);
      resolve();
    });
  });
}

async function pool(list, width) {
  const queue = [...list];
  await Promise.all(Array.from({ length: width }, async () => { while (queue.length) await runFile(queue.shift()); }));
}

await pool(files.filter((f) => !serial(f)), Math.max(2, cpus().length));
await pool(files.filter(serial), 1);
if (failedFiles.length) console.log(`\nfailed files:\n  ${failedFiles.join('\n  ')}`);
if (files.length === 0) console.log('no test files found');
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exitCode = totals.failed > 0 || files.length === 0 ? 1 : 0;
