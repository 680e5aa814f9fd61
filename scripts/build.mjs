#!/usr/bin/env node
// Generates TypeScript types for proto/*.proto (proto-loader-gen-types) and compiles with tsc.
import { execFileSync } from 'node:child_process';
import { readdirSync, existsSync, statSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 2, 2] });
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

const protoDir = join(root, 'proto');
const protos = readdirSync(protoDir).filter((f) => f.endsWith('.proto')).map((f) => join(protoDir, f));
const genDir = join(root, 'src', 'gen');
const stamp = join(genDir, 'joblet.ts');
if (protos.some((p) => mtime(p) > mtime(stamp))) {
  rmSync(genDir, { recursive: true, force: true });
  run(bin('proto-loader-gen-types'), [
    '--grpcLib=@grpc/grpc-js', '--outDir=src/gen', '--longs=String', '--enums=String',
    '--defaults', '--oneofs', '--keepCase', '--importFileExtension=.js', '--includeDirs=proto',
    '--', ...protos.map((p) => p.slice(protoDir.length + 1)),
  ]);
}
run(bin('tsc'), ['-p', '.']);
