// A reader that connects and then never reads (the fault test stops this process with SIGSTOP once
// output flows, so its socket fills and TCP pushes back on the daemon). A separate process, so the
// daemon's memory measured by the test is not mixed up with the reader's own buffers.
// Usage: node stalledReaderChild.js <address> <rnx-config.yml> <job id>
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { parse } from 'yaml';
import { jobletProto } from '../../../src/proto.js';
import { CHANNEL_OPTIONS } from '../../support/testDaemon.js';

const [address, configFile, jobId] = process.argv.slice(2);
const node = (parse(readFileSync(configFile, 'utf8')) as { nodes: Record<string, { cert: string; key: string; ca: string }> }).nodes.default;
const creds = grpc.credentials.createSsl(Buffer.from(node.ca), Buffer.from(node.key), Buffer.from(node.cert));
const client = new (jobletProto().joblet.JobService)(address, creds, CHANNEL_OPTIONS);
const call = client.GetJobLogs({ uuid: jobId });
call.once('data', () => process.stdout.write('reading\n'));
call.on('error', (e) => { process.stderr.write(`stalled reader: ${e.message}\n`); process.exit(1); });
