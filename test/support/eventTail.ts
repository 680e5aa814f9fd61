// Clients for joblet.events.v1.EventService/TailEvents against a test daemon: collect a finished
// stream, read it as raw protobuf bytes (to look for secrets in exactly what went over the wire),
// or follow it.
import * as grpc from '@grpc/grpc-js';
import { eventsProto } from '../../src/proto.js';
import type { EventServiceClient } from '../../src/gen/joblet/events/v1/EventService.js';
import type { TailEventsRequest } from '../../src/gen/joblet/events/v1/TailEventsRequest.js';
import type { Event__Output } from '../../src/gen/joblet/events/v1/Event.js';
import { CHANNEL_OPTIONS, type TestDaemon, type TestRole } from './testDaemon.js';

export const TAIL_PATH = '/joblet.events.v1.EventService/TailEvents';

export function eventsClient(d: TestDaemon, role: TestRole): EventServiceClient {
  return new (eventsProto().joblet.events.v1.EventService)(d.address, d.credentials(role), CHANNEL_OPTIONS);
}

/** The whole (non-follow) stream; rejects with the status error. */
export function tail(d: TestDaemon, role: TestRole, req: TailEventsRequest): Promise<Event__Output[]> {
  const client = eventsClient(d, role);
  return new Promise<Event__Output[]>((resolve, reject) => {
    const out: Event__Output[] = [];
    const s = client.TailEvents(req, { deadline: Date.now() + 30_000 });
    s.on('data', (e: Event__Output) => out.push(e));
    s.on('error', reject);
    s.on('end', () => resolve(out));
  }).finally(() => client.close());
}

/** Every response message as the bytes that came over the wire, not decoded. */
export function tailRaw(d: TestDaemon, role: TestRole, req: TailEventsRequest): Promise<Buffer[]> {
  const client = new grpc.Client(d.address, d.credentials(role), CHANNEL_OPTIONS);
  const serialize = eventsProto().joblet.events.v1.EventService.service.TailEvents.requestSerialize;
  return new Promise<Buffer[]>((resolve, reject) => {
    const out: Buffer[] = [];
    const s = client.makeServerStreamRequest(TAIL_PATH, serialize, (b: Buffer) => b, req, { deadline: Date.now() + 30_000 });
    s.on('data', (b: Buffer) => out.push(Buffer.from(b)));
    s.on('error', reject);
    s.on('end', () => resolve(out));
  }).finally(() => client.close());
}

export interface Follower {
  events: Event__Output[];
  /** Resolves once `pred` holds for the events received so far. */
  until(pred: (events: Event__Output[]) => boolean, ms?: number): Promise<void>;
  /** Resolves with the final status code (0 = OK end) once the stream closes. */
  ended: Promise<number>;
  cancel(): void;
}

export function follow(d: TestDaemon, role: TestRole, req: TailEventsRequest): Follower {
  const client = eventsClient(d, role);
  const events: Event__Output[] = [];
  let wake = () => {};
  const s = client.TailEvents({ ...req, follow: true });
  s.on('data', (e: Event__Output) => { events.push(e); wake(); });
  const ended = new Promise<number>((resolve) => {
    s.on('error', (e: grpc.ServiceError) => resolve(e.code));
    s.on('end', () => resolve(0));
  }).finally(() => { client.close(); wake(); });
  return {
    events,
    ended,
    cancel: () => s.cancel(),
    until(pred, ms = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`follower: condition not met in ${ms} ms (${events.length} events received)`)), ms);
        wake = () => { if (pred(events)) { clearTimeout(timer); resolve(); } };
        wake();
      });
    },
  };
}
