import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { ROLES, coreMethods, denyMessage, isAllowed, registerExtensionMethod, requiredRole, splitMethodPath, type Role } from './rbac.js';
import { CLIENT_ROLES } from '../certs/client-config.js';
import { LOG_SERVICE, registerLogServiceRules } from './logService.js';

// The expected matrix, written out from spec/joblet-api.md independently of rbac.ts's ranking:
// columns are reader, developer, maintainer, admin; "x" = allowed.
const MATRIX = `
joblet.JobService/RunJob                     . x x x
joblet.JobService/GetJobStatus               x x x x
joblet.JobService/StopJob                    . x x x
joblet.JobService/CancelJob                  . x x x
joblet.JobService/DeleteJob                  . x x x
joblet.JobService/DeleteAllJobs              . x x x
joblet.JobService/GetJobLogs                 x x x x
joblet.JobService/ListJobs                   x x x x
joblet.JobService/StreamJobMetrics           x x x x
joblet.JobService/GetJobMetrics              x x x x
joblet.JobService/StreamJobTelematics        x x x x
joblet.JobService/GetJobTelematics           x x x x
joblet.NetworkService/CreateNetwork          . . x x
joblet.NetworkService/ListNetworks           x x x x
joblet.NetworkService/RemoveNetwork          . . . x
joblet.VolumeService/CreateVolume            . . x x
joblet.VolumeService/ListVolumes             x x x x
joblet.VolumeService/RemoveVolume            . . . x
joblet.MonitoringService/GetSystemStatus     x x x x
joblet.MonitoringService/StreamSystemMetrics x x x x
joblet.RuntimeService/ListRuntimes           x x x x
joblet.RuntimeService/GetRuntimeInfo         x x x x
joblet.RuntimeService/TestRuntime            . x x x
joblet.RuntimeService/RemoveRuntime          . . . x
joblet.RuntimeService/BuildRuntime           . . x x
joblet.RuntimeService/ValidateRuntimeYAML    . . x x
`;
const COLUMNS: Role[] = ['reader', 'developer', 'maintainer', 'admin'];
const expected = MATRIX.trim().split('\n').map((line) => {
  const [path, ...cells] = line.trim().split(/\s+/);
  const [service, method] = path.split('/');
  return { service, method, allowed: cells.map((c) => c === 'x') };
});

test('every role x every RPC matches the expected matrix', () => {
  assert.is(expected.length, 26);
  for (const { service, method, allowed } of expected) {
    COLUMNS.forEach((role, i) => {
      assert.is(isAllowed(role, service, method), allowed[i], `${role} ${service}/${method}`);
    });
  }
});

test('the table covers exactly the RPCs of the matrix', () => {
  const table = coreMethods().map((m) => `${m.service}/${m.method}`).sort();
  assert.equal(table, expected.map((e) => `${e.service}/${e.method}`).sort());
});

test('the table covers every RPC declared in proto/joblet.proto', () => {
  const def = protoLoader.loadSync(join(process.cwd(), 'proto', 'joblet.proto'));
  const declared = Object.entries(def)
    .filter(([name, d]) => /^joblet\.[A-Za-z]+$/.test(name) && typeof d === 'object' && d !== null && !('format' in d))
    .flatMap(([service, methods]) => Object.keys(methods as object).map((m) => `${service}/${m}`))
    .sort();
  assert.equal(declared, expected.map((e) => `${e.service}/${e.method}`).sort());
});

test('denials name the role, the operation and the role it needs', () => {
  assert.is(denyMessage('reader', 'joblet.JobService', 'RunJob'), 'role reader may not call joblet.JobService/RunJob (needs developer)');
  assert.is(denyMessage('maintainer', 'joblet.VolumeService', 'RemoveVolume'), 'role maintainer may not call joblet.VolumeService/RemoveVolume (needs admin)');
  assert.is(denyMessage('developer', 'joblet.JobService', 'Nope'), 'role developer may not call joblet.JobService/Nope (no rule allows it to any role but admin)');
});

test('an unregistered method, in a joblet service or elsewhere, is admin-only', () => {
  assert.is(requiredRole('joblet.events.v1.EventService', 'Tail'), null);
  assert.not.ok(isAllowed('maintainer', 'joblet.events.v1.EventService', 'Tail'));
  assert.ok(isAllowed('admin', 'joblet.events.v1.EventService', 'Tail'));
  assert.not.ok(isAllowed('maintainer', 'joblet.JobService', 'toString'), 'prototype names are not rules');
});

test('extension methods register as read, write or admin', () => {
  registerExtensionMethod('joblet.events.v1.EventService', 'ReadEvents', 'read');
  registerExtensionMethod('joblet.events.v1.EventService', 'AppendNote', 'write');
  registerExtensionMethod('joblet.events.v1.EventService', 'Compact', 'admin');
  registerExtensionMethod('joblet.events.v1.EventService', 'ReadEvents', 'read'); // idempotent
  const row = (m: string) => COLUMNS.map((r) => isAllowed(r, 'joblet.events.v1.EventService', m));
  assert.equal(row('ReadEvents'), [true, true, true, true]);
  assert.equal(row('AppendNote'), [false, true, true, true]);
  assert.equal(row('Compact'), [false, false, false, true]);
  assert.throws(() => registerExtensionMethod('joblet.events.v1.EventService', 'ReadEvents', 'write'), /already registered as needing reader/);
  assert.throws(() => registerExtensionMethod('joblet.JobService', 'Sneak', 'read'), /rules are fixed/);
  assert.throws(() => registerExtensionMethod('bad name', 'X', 'read'), /not a gRPC service\/method name/);
});

test('joblet.logs.v1.LogService/StreamLogs: exactly the roles of JobService/GetJobLogs', () => {
  registerLogServiceRules();
  const row = (service: string, method: string) => COLUMNS.map((r) => isAllowed(r, service, method));
  assert.equal(row(LOG_SERVICE, 'StreamLogs'), [true, true, true, true]);
  assert.equal(row(LOG_SERVICE, 'StreamLogs'), row('joblet.JobService', 'GetJobLogs'));
  assert.is(requiredRole(LOG_SERVICE, 'StreamLogs'), requiredRole('joblet.JobService', 'GetJobLogs'));
});

test('splitMethodPath reads grpc-js handler paths', () => {
  assert.equal(splitMethodPath('/joblet.JobService/RunJob'), { service: 'joblet.JobService', method: 'RunJob' });
  assert.throws(() => splitMethodPath('joblet.JobService.RunJob'), /not a gRPC method path/);
});

test('the roles certificates are issued for are exactly the RBAC roles', () => {
  assert.equal([...CLIENT_ROLES].sort(), [...ROLES].sort());
});

test.run();
