#!/usr/bin/env node
// Makes a fresh clone runnable: installs npm packages, builds the native launcher and compiles
// TypeScript, each step only when its inputs changed. `npm start`, `npm test` and `npm run bench`
// run this first, so a new user needs no other command.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 2, 2] });
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const newest = (dir) =>
  !existsSync(dir) ? 0 : Math.max(0, ...readdirSync(dir, { withFileTypes: true })
    .map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : mtime(join(dir, e.name)))));

// 1. npm packages: the lock file is the input, node_modules/.package-lock.json the stamp.
const stamp = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(stamp) || mtime(join(root, 'package-lock.json')) > mtime(stamp)) {
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts=false']);
}

// 2. the C launcher and the daemon's spawner (node-gyp builds both as executable targets of
// binding.gyp); the older of the two decides.
const built = Math.min(...['joblet-launcher', 'joblet-spawner'].map((name) => mtime(join(root, 'build', 'Release', name))));
if (newest(join(root, 'native')) > built || mtime(join(root, 'binding.gyp')) > built) {
  run('npx', ['--no-install', 'node-gyp', 'rebuild', '--silent']);
}

// 3. generated proto types and the TypeScript build.
run('node', [join(root, 'scripts', 'build.mjs')]);
