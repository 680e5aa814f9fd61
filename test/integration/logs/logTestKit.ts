// What the output-reader tests share: a real daemon's clients, running a job to its end, and
// reading joblet.logs.v1 StreamLogs / GetJobLogs into bytes, chunks or a status error.
import * as grpc from '@grpc/grpc-js';
import { createHash } from 'node:crypto';
import { logsProto } from '../../../src/proto.js';
import type { LogServiceClient } from '../../../src/gen/joblet/logs/v1/LogService.js';
import type { LogChunk__Output } from '../../../src/gen/joblet/logs/v1/LogChunk.js';
import type { StreamLogsRequest } from '../../../src/gen/joblet/logs/v1/StreamLogsRequest.js';
import type { GetJobStatusResponse__Output as Status } from '../../../src/gen/joblet/GetJobStatusResponse.js';
import { CHANNEL_OPTIONS, call, FINAL, type TestDaemon, type TestRole } from '../../support/testDaemon.js';

export { FINAL };

export function logsClient(d: TestDaemon, role: TestRole = 'reader'): LogServiceClient {
  return new (logsProto().joblet.logs.v1.LogService)(d.address, d.credentials(role), CHANNEL_OPTIONS);
}

export async function runJob(d: TestDaemon, script: string): Promise<string> {
  const { job_uuid } = await call<{ job_uuid: string }>(d.jobs('developer'), 'RunJob', { command: 'sh', args: ['-c', script] });
  return job_uuid;
}

export async function waitStatus(d: TestDaemon, uuid: string, want: (s: Status) => boolean, ms = 60_000): Promise<Status> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await call<Status>(d.jobs(), 'GetJobStatus', { uuid });
    if (want(s)) return s;
    if (Date.now() > end) throw new Error(`job ${uuid} is ${s.status} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const ended = (s: Status) => FINAL.includes(s.status);

export interface Read<C> { chunks: C[]; error?: grpc.ServiceError }

/** Reads a server stream to its end; a status error is returned, not thrown. */
export function readAll<C>(stream: grpc.ClientReadableStream<C>): Promise<Read<C>> {
  return new Promise((resolve) => {
    const chunks: C[] = [];
    stream.on('data', (c: C) => chunks.push(c));
    stream.on('error', (error: grpc.ServiceError) => resolve({ chunks, error }));
    stream.on('end', () => resolve({ chunks }));
  });
}

export async function streamLogs(client: LogServiceClient, req: StreamLogsRequest): Promise<Read<LogChunk__Output>> {
  return readAll(client.StreamLogs(req));
}

export const text = (r: Read<LogChunk__Output>) => Buffer.concat(r.chunks.map((c) => c.payload)).toString();

/** A running sha256 and byte count of a stream's payloads, without keeping them. */
export function hashStream<C extends { payload: Buffer }>(stream: grpc.ClientReadableStream<C>): Promise<{ sha256: string; bytes: number; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const h = createHash('sha256');
    let bytes = 0;
    stream.on('data', (c: C) => { h.update(c.payload); bytes += c.payload.length; });
    stream.on('error', (error: grpc.ServiceError) => resolve({ sha256: h.digest('hex'), bytes, error }));
    stream.on('end', () => resolve({ sha256: h.digest('hex'), bytes }));
  });
}

export const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
