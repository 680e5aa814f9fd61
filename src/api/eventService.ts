// joblet.events.v1.EventService: the event log as a stream of typed events, for auditing and
// debugging. History comes from the log in position order; with `follow`, the store's
// subscription carries on into live events (one cursor over the log, so no gap and no duplicate
// at the switch-over). A slow client only holds its own stream: we wait for 'drain', never the log.
import type * as grpc from '@grpc/grpc-js';
import type { JobEvent } from '../events/jobEvents.js';
import { matchesFilter } from '../events/eventFilter.js';
import type { EventStore, StoredEvent } from '../persist/eventStore.js';
import type { JobTable } from '../projections/jobTable.js';
import type { EventServiceHandlers } from '../gen/joblet/events/v1/EventService.js';
import type { TailEventsRequest__Output } from '../gen/joblet/events/v1/TailEventsRequest.js';
import type { Event } from '../gen/joblet/events/v1/Event.js';
import type { Middleware } from './middleware.js';
import { registerExtensionMethod, type Role } from './rbac.js';
import { parseTailRequest, type TailQuery } from './eventQuery.js';
import { isVisible, mayReadOutput, mayShowPeer, type Viewer } from './eventVisibility.js';
import { nodeOf, toWireEvent } from './eventWire.js';

export const EVENT_SERVICE = 'joblet.events.v1.EventService';

export interface EventServiceDeps {
  store: EventStore<JobEvent>;
  /** For job id prefixes. */
  table: JobTable;
  nodeId: string;
}

type Out = grpc.ServerWritableStream<TailEventsRequest__Output, Event>;

// Events read per LMDB pass when sending history without follow; each pass is a short read
// transaction, so a long history never pins an old snapshot of the file.
const CHUNK = 512;

export interface EventTail {
  handlers: EventServiceHandlers;
  /** Ends every open tail (the daemon is shutting down), so the server need not wait for them. */
  closeAll(): void;
}

export function eventService(m: Middleware, d: EventServiceDeps): EventTail {
  registerExtensionMethod(EVENT_SERVICE, 'TailEvents', 'read');
  const open = new Set<() => void>();
  const handlers: EventServiceHandlers = {
    TailEvents: m.stream(EVENT_SERVICE, 'TailEvents', async (req: TailEventsRequest__Output, { caller, cancelled }, out: Out) => {
      const q = parseTailRequest(req, d.store, d.table);
      // The middleware only lets certificate roles through; 'system' is the daemon's own identity.
      const viewer: Viewer = { cn: caller.cn, role: caller.role as Role };
      // Stops on the client's cancel and on closeAll; a send waiting for 'drain' gives up on either.
      const stop = new AbortController();
      const end = () => stop.abort();
      const send = sender(d, q, viewer, out, stop.signal);
      cancelled.addEventListener('abort', end);
      open.add(end);
      try {
        if (q.follow) await follow(d.store, q, send, stop.signal);
        else await history(d.store, q, send, stop.signal);
      } finally {
        open.delete(end);
        cancelled.removeEventListener('abort', end);
      }
    }),
  };
  return { handlers, closeAll: () => { for (const end of [...open]) end(); } };
}

type Send = (stored: StoredEvent<JobEvent>) => void | Promise<void>;

/** Filters, converts and writes one event; returns a promise only while the client is behind. */
function sender(d: EventServiceDeps, q: TailQuery, viewer: Viewer, out: Out, stop: AbortSignal): Send {
  const includeOutput = q.includeOutput && mayReadOutput(viewer);
  const showPeer = (by: Parameters<typeof mayShowPeer>[1]) => mayShowPeer(viewer, by);
  return ({ position, event }) => {
    if (!matchesFilter(q.filter, position, event) || !isVisible(viewer, event)) return;
    const nodeId = nodeOf(event, d.nodeId);
    if (q.nodeId !== undefined && nodeId !== q.nodeId) return;
    const hash = d.store.hashAt(position);
    if (out.write(toWireEvent(position, event, { nodeId, showPeer, includeOutput, ...(hash ? { hash } : {}) }))) return;
    return new Promise<void>((resolve) => {
      const done = () => { out.off('drain', done); stop.removeEventListener('abort', done); resolve(); };
      out.on('drain', done);
      stop.addEventListener('abort', done);
    });
  };
}

/** The log from q.from to the position durable when the call began, then the stream ends. */
async function history(store: EventStore<JobEvent>, q: TailQuery, send: Send, stop: AbortSignal): Promise<void> {
  const last = store.lastPosition;
  let next = q.from;
  while (next <= last && !stop.aborted) {
    const chunk: StoredEvent<JobEvent>[] = [];
    for (const stored of q.jobId ? store.readJob(q.jobId, next, last) : store.read(next, last)) {
      chunk.push(stored);
      if (chunk.length >= CHUNK) break;
    }
    if (chunk.length === 0) return;
    for (const stored of chunk) {
      if (stop.aborted) return;
      const r = send(stored);
      if (r) await r;
    }
    next = chunk[chunk.length - 1].position + 1;
    // Let appends and other calls run between chunks of a long history.
    await new Promise((r) => setImmediate(r));
  }
}

/** History and then live events through one subscription, until the client goes or the log closes. */
async function follow(store: EventStore<JobEvent>, q: TailQuery, send: Send, stop: AbortSignal): Promise<void> {
  if (stop.aborted) return;
  const sub = store.subscribe(q.from, (stored) => (stop.aborted ? undefined : send(stored)), q.jobId ? { jobId: q.jobId } : undefined);
  const onStop = () => sub.close();
  stop.addEventListener('abort', onStop);
  try {
    await sub.done;
  } finally {
    stop.removeEventListener('abort', onStop);
  }
}
