// The persist child's gRPC server (joblet.persist.v1) on a Unix socket: history queries from the
// daemon, answered from the files up to the checkpoint. Records go out in batches of about 1 MiB,
// and the server waits for the socket to drain, so a large log never sits in memory whole.
import { mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { persistProto } from '../proto.js';
import type { PersistServiceHandlers } from '../gen/joblet/persist/v1/PersistService.js';
import type { OutputRecord } from '../gen/joblet/persist/v1/OutputRecord.js';
import { readMetricLines, readOutputRecords } from './historyFiles.js';

const BATCH_BYTES = 1024 * 1024;

/** What the server needs to know about the files at the moment a query arrives. */
export interface HistoryView {
  /** The checkpoint: how far the files are complete. */
  durable(): number;
  /** The job's dir and whether its raw log is still being written; undefined when the files hold no such job. */
  job(jobId: string): { dir: string; running: boolean } | undefined;
}

export async function startHistoryServer(socket: string, view: HistoryView): Promise<grpc.Server> {
  mkdirSync(dirname(socket), { recursive: true, mode: 0o700 });
  try { unlinkSync(socket); } catch { /* no stale socket */ }
  const server = new grpc.Server({ 'grpc.max_send_message_length': 8 * BATCH_BYTES });
  const handlers: PersistServiceHandlers = {
    ReadOutput: (call) => {
      void stream(call, async (send) => {
        const { upTo, job } = window(view, call.request.job_id, Number(call.request.from_position));
        let batch: OutputRecord[] = [];
        let bytes = 0;
        await send({ up_to: upTo, records: [] });
        if (!job) return;
        for await (const r of readOutputRecords(job.dir, Number(call.request.from_position), upTo, job.running)) {
          batch.push({ position: r.position, at: r.at, stream: r.stream, data: r.data as Buffer });
          bytes += r.data.length;
          if (bytes >= BATCH_BYTES) { await send({ up_to: upTo, records: batch }); batch = []; bytes = 0; }
        }
        if (batch.length > 0) await send({ up_to: upTo, records: batch });
      });
    },
    ReadMetrics: (call) => {
      void stream(call, async (send) => {
        const { upTo, job } = window(view, call.request.job_id, Number(call.request.from_position));
        await send({ up_to: upTo, samples: [] });
        if (!job) return;
        let batch: string[] = [];
        for await (const line of readMetricLines(job.dir, Number(call.request.from_position), upTo)) {
          batch.push(line);
          if (batch.length >= 4096) { await send({ up_to: upTo, samples: batch }); batch = []; }
        }
        if (batch.length > 0) await send({ up_to: upTo, samples: batch });
      });
    },
  };
  server.addService(persistProto().joblet.persist.v1.PersistService.service, handlers);
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  return server;
}

/** upTo per the OutputHistory contract: the checkpoint, or from - 1 when the files end before from. */
function window(view: HistoryView, jobId: string, from: number) {
  const durable = view.durable();
  if (!(from >= 1) || from > durable) return { upTo: Math.max(0, from - 1), job: undefined };
  return { upTo: durable, job: view.job(jobId) };
}

async function stream<T>(call: grpc.ServerWritableStream<unknown, T>, body: (send: (m: T) => Promise<void>) => Promise<void>): Promise<void> {
  let cancelled = false;
  call.on('cancelled', () => { cancelled = true; });
  const send = async (m: T) => {
    if (cancelled) throw new Error('cancelled');
    if (!call.write(m)) {
      await new Promise<void>((r) => {
        // one of the two fires; the other listener goes too, or every wait would leave one behind
        const done = () => { call.off('drain', done); call.off('cancelled', done); r(); };
        call.on('drain', done);
        call.on('cancelled', done);
      });
    }
  };
  try {
    await body(send);
    if (!cancelled) call.end();
  } catch (err) {
    if (!cancelled) call.emit('error', { code: grpc.status.INTERNAL, details: `persist history: ${(err as Error).message}` });
  }
}
