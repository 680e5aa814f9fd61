// Loads the wire contract (proto/*.proto) at run time with the same options the generated types
// in src/gen were made with (scripts/build.mjs), so the typed handlers and clients match the wire.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { ProtoGrpcType as JobletProto } from './gen/joblet.js';
import type { ProtoGrpcType as EventsProto } from './gen/joblet_events_v1.js';
import type { ProtoGrpcType as StateProto } from './gen/joblet_state_v1.js';
import type { ProtoGrpcType as PersistProto } from './gen/joblet_persist_v1.js';
import type { ProtoGrpcType as LogsProto } from './gen/joblet_logs_v1.js';

/** Repository root, whether this file runs from src/ (ts) or dist/src/ (compiled). */
const protoDir = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../proto/' : '../proto/', import.meta.url));

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoDir],
};

let cached: JobletProto | undefined;

export function jobletProto(): JobletProto {
  cached ??= grpc.loadPackageDefinition(protoLoader.loadSync('joblet.proto', LOADER_OPTIONS)) as unknown as JobletProto;
  return cached;
}

let cachedEvents: EventsProto | undefined;

/** Our own package joblet.events.v1 (proto/joblet_events_v1.proto): the event tail. */
export function eventsProto(): EventsProto {
  cachedEvents ??= grpc.loadPackageDefinition(protoLoader.loadSync('joblet_events_v1.proto', LOADER_OPTIONS)) as unknown as EventsProto;
  return cachedEvents;
}

let cachedState: StateProto | undefined;

/** Our own package joblet.state.v1 (proto/joblet_state_v1.proto): every node's jobs. */
export function stateProto(): StateProto {
  cachedState ??= grpc.loadPackageDefinition(protoLoader.loadSync('joblet_state_v1.proto', LOADER_OPTIONS)) as unknown as StateProto;
  return cachedState;
}

let cachedLogs: LogsProto | undefined;

/** Our own package joblet.logs.v1 (proto/joblet_logs_v1.proto): output with stream, tail, since, follow. */
export function logsProto(): LogsProto {
  cachedLogs ??= grpc.loadPackageDefinition(protoLoader.loadSync('joblet_logs_v1.proto', LOADER_OPTIONS)) as unknown as LogsProto;
  return cachedLogs;
}

let cachedPersist: PersistProto | undefined;

/** The internal joblet.persist.v1 (proto/joblet_persist_v1.proto): history from the persist child's files. */
export function persistProto(): PersistProto {
  cachedPersist ??= grpc.loadPackageDefinition(protoLoader.loadSync('joblet_persist_v1.proto', LOADER_OPTIONS)) as unknown as PersistProto;
  return cachedPersist;
}
