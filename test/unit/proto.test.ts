// Wire compatibility of proto/joblet.proto with Joblet's public API. The spec's tables
// (shared/spec/joblet-api.md) are parsed here, independently of the .proto file, and every message,
// field (name, number, type, repeated/map), oneof and rpc (types, streaming) must match exactly; the
// only thing allowed beyond the spec is the extension field the spec names. A field off by one number
// would silently corrupt every Joblet client, and no compiler would notice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import * as protoLoader from '@grpc/proto-loader';

// Works from test/unit (ts) and dist/test/unit (js) alike.
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

const root = repoRoot();
const protoPath = join(root, 'proto', 'joblet.proto');
// CI puts a copy of shared/ beside the checkout, as here.
const specPath = join(root, '..', 'shared', 'spec', 'joblet-api.md');

interface FieldSpec { name: string; id: number; type: string; kind: 'single' | 'repeated' | 'map'; keyType?: string }
interface MessageSpec { fields: FieldSpec[]; oneofs: Record<string, string[]> }
interface RpcSpec { request: string; response: string; requestStream: boolean; responseStream: boolean }
interface ApiSpec {
  messages: Map<string, MessageSpec>;
  services: Map<string, Map<string, RpcSpec>>;
  extensions: FieldSpec[];
}

const fieldRe = /^(\w+): (repeated )?(?:map<(\w+),\s*(\w+)>|(\w+)) = (\d+)$/;
const messageRe = /^- \*\*(\w+)\*\*: (.*?)(?: — `([^`]+)` form oneof `(\w+)`)?$/;
const extensionRe = /Extension field: `(\w+)\.(\w+)` \(`(\w+)`, field number \*\*(\d+)\*\*/;

function parseField(text: string, where: string): FieldSpec {
  const m = fieldRe.exec(text.trim());
  if (!m) throw new Error(`spec ${where}: cannot parse field "${text}" (expected "name: [repeated] type = N")`);
  const [, name, repeated, keyType, valueType, type, id] = m;
  if (keyType) return { name, id: Number(id), type: valueType, kind: 'map', keyType };
  return { name, id: Number(id), type, kind: repeated ? 'repeated' : 'single' };
}

// Every line that looks like part of a table but does not parse is an error, so a change in the
// spec's layout cannot quietly shrink what this test compares.
function parseSpec(markdown: string): ApiSpec {
  const messages = new Map<string, MessageSpec>();
  const services = new Map<string, Map<string, RpcSpec>>();
  let service: Map<string, RpcSpec> | undefined;
  let inMessages = false;
  for (const line of markdown.split('\n')) {
    const heading = /^### (?:service `joblet\.(\w+)`|(messages))/.exec(line);
    if (heading) {
      inMessages = heading[2] !== undefined;
      service = heading[1] ? new Map() : undefined;
      if (heading[1]) services.set(heading[1], service!);
      continue;
    }
    if (line.startsWith('#')) { service = undefined; inMessages = false; continue; }
    if (service && line.startsWith('|')) {
      const cells = line.split('|').slice(1, -1).map((c) => c.trim());
      if (cells[0] === 'rpc' || /^-+$/.test(cells[0])) continue;
      const [rpc, req, res] = cells;
      const ok = /^\w+$/.test(rpc) && /^(stream )?\w+$/.test(req) && /^(stream )?\w+$/.test(res);
      if (!ok) throw new Error(`spec: cannot parse rpc row "${line}"`);
      service.set(rpc, {
        request: req.replace('stream ', ''), response: res.replace('stream ', ''),
        requestStream: req.startsWith('stream '), responseStream: res.startsWith('stream '),
      });
    }
    if (inMessages && line.startsWith('- ')) {
      const m = messageRe.exec(line);
      if (!m) throw new Error(`spec: cannot parse message line "${line}"`);
      const [, name, body, oneofMembers, oneofName] = m;
      const fields = body === '(empty)' ? [] : body.split(';').map((f) => parseField(f, name));
      const oneofs = oneofName ? { [oneofName]: oneofMembers.split(',').map((s) => s.trim()) } : {};
      if (messages.has(name)) throw new Error(`spec: message ${name} listed twice`);
      messages.set(name, { fields, oneofs });
    }
  }
  const ext = extensionRe.exec(markdown);
  if (!ext) throw new Error('spec: no "Extension field: `Message.field` (`type`, field number **N**" sentence');
  const extension: FieldSpec = { name: ext[2], id: Number(ext[4]), type: ext[3], kind: 'single' };
  const target = messages.get(ext[1]);
  if (!target) throw new Error(`spec: extension names unknown message ${ext[1]}`);
  target.fields.push(extension);
  return { messages, services, extensions: [extension] };
}

const scalar = new Set(['double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes']);

function loadProto(): { text: string; ns: protobuf.Namespace; pbRoot: protobuf.Root } {
  const text = readFileSync(protoPath, 'utf8');
  const pbRoot = new protobuf.Root().loadSync(protoPath, { keepCase: true });
  pbRoot.resolveAll();
  return { text, ns: pbRoot.lookup('joblet') as protobuf.Namespace, pbRoot };
}

// What the .proto declares, in the spec's vocabulary.
function describeField(f: protobuf.Field): FieldSpec {
  // A message type must resolve inside package joblet, not to some other package's namesake.
  const type = f.resolvedType ? f.resolvedType.fullName.replace(/^\.joblet\./, '') : f.type;
  if (f instanceof protobuf.MapField) return { name: f.name, id: f.id, type, kind: 'map', keyType: f.keyType };
  return { name: f.name, id: f.id, type, kind: f.repeated ? 'repeated' : 'single' };
}

const haveSpec = existsSync(specPath);
if (!haveSpec) console.log(`skipping spec comparison: ${specPath} not found (shared/ must sit beside the checkout)`);
const specTest = haveSpec ? test : test.skip;
const spec = haveSpec ? parseSpec(readFileSync(specPath, 'utf8')) : undefined;

specTest('the spec parses into a plausible API (guards the parser itself)', () => {
  assert.is(spec!.services.size, 5);
  assert.is(spec!.services.get('JobService')!.size, 12);
  assert.ok(spec!.messages.size >= 70, `only ${spec!.messages.size} messages parsed`);
  assert.equal(spec!.messages.get('FileUpload')!.fields.map((f) => f.id), [1, 2, 3, 4]);
  assert.equal(spec!.messages.get('TelematicsEvent')!.oneofs.data.length, 7);
  assert.equal(spec!.extensions, [{ name: 'timeout', id: 21, type: 'string', kind: 'single' }]);
});

specTest('package joblet is proto3 and holds exactly the spec messages and services', () => {
  const { text, ns, pbRoot } = loadProto();
  assert.match(text, /^syntax = "proto3";$/m);
  assert.equal(Object.keys(pbRoot.nested ?? {}), ['joblet'], 'the file declares only package joblet');
  const messages = ns.nestedArray.filter((o) => o instanceof protobuf.Type).map((o) => o.name).sort();
  const services = ns.nestedArray.filter((o) => o instanceof protobuf.Service).map((o) => o.name).sort();
  const other = ns.nestedArray.filter((o) => !(o instanceof protobuf.Type) && !(o instanceof protobuf.Service));
  assert.equal(other.map((o) => o.name), [], 'no enums or sub-packages inside joblet');
  assert.equal(messages, [...spec!.messages.keys()].sort());
  assert.equal(services, [...spec!.services.keys()].sort());
});

specTest('every message has exactly the spec fields, numbers, types and oneofs', () => {
  const { ns } = loadProto();
  for (const [name, want] of spec!.messages) {
    const type = ns.lookupType(name);
    assert.equal(type.nestedArray.map((o) => o.name), [], `${name}: no nested declarations`);
    const byId = (a: FieldSpec, b: FieldSpec) => a.id - b.id;
    assert.equal(type.fieldsArray.map(describeField).sort(byId), [...want.fields].sort(byId), `${name}: fields`);
    const oneofs = Object.fromEntries(type.oneofsArray.map((o) => [o.name, o.fieldsArray.map((f) => f.name)]));
    assert.equal(oneofs, want.oneofs, `${name}: oneofs`);
    for (const f of type.fieldsArray) {
      // proto3 packs repeated numbers by default and Joblet's Go code emits them packed; an explicit
      // [packed=false], `optional` or json_name would change the wire or JSON form for its clients.
      assert.is(f.options, undefined, `${name}.${f.name}: no field options`);
      if (f.repeated && scalar.has(f.type) && f.type !== 'string' && f.type !== 'bytes') assert.ok(f.packed, `${name}.${f.name}: packed`);
    }
  }
});

specTest('every rpc has the spec request, response and streaming', () => {
  const { ns } = loadProto();
  for (const [svcName, rpcs] of spec!.services) {
    const svc = ns.lookup(svcName) as protobuf.Service;
    assert.equal(Object.keys(svc.methods).sort(), [...rpcs.keys()].sort(), `${svcName}: rpc names`);
    for (const [rpc, want] of rpcs) {
      const m = svc.methods[rpc];
      const got = {
        request: m.resolvedRequestType!.fullName.replace(/^\.joblet\./, ''),
        response: m.resolvedResponseType!.fullName.replace(/^\.joblet\./, ''),
        requestStream: Boolean(m.requestStream), responseStream: Boolean(m.responseStream),
      };
      assert.equal(got, want, `${svcName}.${rpc}`);
    }
  }
});

specTest('grpc-js sees the HTTP/2 paths Joblet clients call', () => {
  const def = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, defaults: true, oneofs: true });
  for (const [svcName, rpcs] of spec!.services) {
    const svc = def[`joblet.${svcName}`] as protoLoader.ServiceDefinition;
    for (const [rpc, want] of rpcs) {
      assert.is(svc[rpc].path, `/joblet.${svcName}/${rpc}`);
      assert.is(svc[rpc].responseStream, want.responseStream, `${svcName}.${rpc} response stream`);
    }
  }
});

// Independent of the spec parser: bytes written by hand from Joblet's numbering decode as expected.
test('hand-encoded RunJobRequest bytes decode to command, secret map and timeout', () => {
  const { ns } = loadProto();
  const str = (s: string) => [s.length, ...Buffer.from(s)];
  const bytes = Uint8Array.from([
    0x12, ...str('echo'),                                       // field 2, length-delimited
    0x92, 0x01, 6, 0x0a, ...str('K'), 0x12, ...str('V'),        // field 18: map entry {1: key, 2: value}
    0xaa, 0x01, ...str('30s'),                                  // field 21 (21 << 3 | 2 = 170)
  ]);
  const msg = ns.lookupType('RunJobRequest').decode(bytes) as unknown as Record<string, unknown>;
  assert.is(msg.command, 'echo');
  assert.equal(msg.secret_environment, { K: 'V' });
  assert.is(msg.timeout, '30s');
});

test.run();
