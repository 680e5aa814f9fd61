// The daemon's side of history queries: an OutputHistory (src/api/outputHistory.ts, matched
// structurally because persist may not import api) that asks the persist child over its Unix
// socket. While the child is restarting, a query waits for it (bounded) instead of answering
// "nothing", because the log may no longer hold output the files have.
import * as grpc from '@grpc/grpc-js';
import { persistProto } from '../proto.js';
import type { PersistServiceClient } from '../gen/joblet/persist/v1/PersistService.js';
import type { OutputBatch__Output } from '../gen/joblet/persist/v1/OutputBatch.js';
import type { StreamName } from './logRecord.js';

export interface HistoryChunk { position: number; at: number; stream: StreamName; data: Uint8Array }
export interface HistoryAnswer { upTo: number; chunks: AsyncIterable<HistoryChunk> }

export class HistoryClient {
  private client: PersistServiceClient | undefined;
  private socket: string | undefined;

  /** `ready` resolves with the child's socket once one is serving (waits while it restarts). */
  constructor(private readonly ready: (timeoutMs: number) => Promise<string>, private readonly timeoutMs = 10_000) {}

  async read(jobId: string, fromPosition: number): Promise<HistoryAnswer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.readOnce(jobId, fromPosition);
      } catch (err) {
        // The child died between the readiness check and the call: wait for its successor once.
        if ((err as grpc.ServiceError).code !== grpc.status.UNAVAILABLE || attempt === 2) {
          throw new Error(`persist history for job ${jobId}: ${(err as grpc.ServiceError).details ?? (err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }

  private async readOnce(jobId: string, fromPosition: number): Promise<HistoryAnswer> {
    const socket = await this.ready(this.timeoutMs);
    const client = this.connect(socket);
    const call = client.ReadOutput({ job_id: jobId, from_position: fromPosition });
    const it = (call as AsyncIterable<OutputBatch__Output>)[Symbol.asyncIterator]();
    let first: IteratorResult<OutputBatch__Output>;
    try {
      first = await it.next();
    } catch (err) {
      call.cancel();
      throw err;
    }
    if (first.done) throw new Error(`persist history for job ${jobId}: the persist child ended the answer early`);
    const upTo = Number(first.value.up_to);
    async function* chunks(): AsyncGenerator<HistoryChunk> {
      try {
        let batch: OutputBatch__Output | undefined = first.value;
        while (batch) {
          for (const r of batch.records) yield { position: Number(r.position), at: Number(r.at), stream: r.stream === 'stderr' ? 'stderr' : 'stdout', data: r.data };
          const next = await it.next();
          batch = next.done ? undefined : next.value;
        }
      } finally {
        call.cancel();
      }
    }
    return { upTo, chunks: chunks() };
  }

  /** The job's stored metric samples in [fromPosition, upTo] as JSON lines. */
  async readMetrics(jobId: string, fromPosition: number): Promise<{ upTo: number; samples: string[] }> {
    const client = this.connect(await this.ready(this.timeoutMs));
    const call = client.ReadMetrics({ job_id: jobId, from_position: fromPosition });
    let upTo = fromPosition - 1;
    const samples: string[] = [];
    for await (const b of call as AsyncIterable<{ up_to: string; samples: string[] }>) {
      upTo = Number(b.up_to);
      samples.push(...b.samples);
    }
    return { upTo, samples };
  }

  private connect(socket: string): PersistServiceClient {
    if (this.client && this.socket === socket) return this.client;
    this.client?.close();
    const Client = persistProto().joblet.persist.v1.PersistService;
    this.client = new Client(`unix:${socket}`, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 16 * 1024 * 1024 }) as unknown as PersistServiceClient;
    this.socket = socket;
    return this.client;
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
