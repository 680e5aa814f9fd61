import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import { fromServiceError } from './errors.js';

const site = { address: '127.0.0.1:50051', node: 'default', configPath: '/etc/rnx.yml', what: 'GetJobLogs' };
const err = (code: Status, details: string): ServiceError => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });

test('UNAVAILABLE from a daemon that answered keeps its own message', () => {
  for (const d of [
    'state backend redis is unreachable: connect ECONNREFUSED',
    'joblet is shutting down: the output of job ab12 was not sent to its end; read it again once the daemon is back',
    'output of job ab12 at log position 9 was compacted out of the log but the persist service\'s history does not hold it',
  ]) assert.is(fromServiceError(err(Status.UNAVAILABLE, d), site).message, d);
});

test('UNAVAILABLE without an answer says the daemon cannot be reached, naming the address and config', () => {
  const m = fromServiceError(err(Status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:50051'), site).message;
  assert.match(m, /^cannot reach joblet at 127\.0\.0\.1:50051 \(node "default" in \/etc\/rnx\.yml\): connect ECONNREFUSED/);
});

test.run();
