// The folder rules of DESIGN.md ("one-way dependencies"), enforced on every import in src/.
// A lint rule would do the same; this keeps it in the one test command CI runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const root = process.cwd();
const src = join(root, 'src');

// folder → the src folders it may import from (itself always allowed). `*` = anything.
const ALLOWED: Record<string, string[] | '*'> = {
  events: [],
  projections: ['events'],
  persist: ['events', 'projections', 'gen', 'proto.ts'],  // gen, proto.ts: the persist child's internal gRPC
  state: ['events', 'persist', 'projections'],
  executor: ['events'],
  config: [],
  certs: ['config'],
  api: ['events', 'persist', 'projections', 'daemon', 'state', 'gen', 'proto.ts', 'version.ts'],  // state: ListAllNodeJobs reads the shared backend
  cli: ['gen', 'proto.ts', 'version.ts'],
  daemon: ['events', 'persist', 'projections', 'executor', 'config'],
  gen: [],
  replay: ['events', 'persist', 'projections', 'api', 'gen'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;

test('src folders import only what DESIGN.md allows', () => {
  const violations: string[] = [];
  for (const file of files(src)) {
    const folder = relative(src, file).split('/')[0];
    const rules = ALLOWED[folder];
    if (rules === undefined || rules === '*') continue;  // top-level files (daemon.ts, joblet-main.ts) compose everything
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (folder === 'events' && spec.startsWith('node:')) violations.push(`${relative(root, file)}: events must not do I/O (${spec})`);
      if (!spec.startsWith('.')) continue;
      const target = relative(src, resolve(dirname(file), spec));
      const top = target.split('/')[0].replace(/\.js$/, '.ts');
      if (top === folder || top.startsWith('..')) continue;
      if (!rules.includes(top)) violations.push(`${relative(root, file)} imports ${spec} (${folder} may import: ${rules.join(', ') || 'nothing'})`);
    }
  }
  assert.equal(violations, []);
});

test('the rule catches a violation (self-check on a synthetic line)', () => {
  const line = "import { EventStore } from '../persist/eventStore.js';";
  const m = [...line.matchAll(IMPORT)][0];
  assert.is(m[1], '../persist/eventStore.js');
});

test.run();
