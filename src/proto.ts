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

/** Loads one proto file once; later calls return the same package object. */
function loader<T>(file: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= grpc.loadPackageDefinition(protoLoader.loadSync(file, LOADER_OPTIONS)) as unknown as T);
}

/** Joblet's wire-compatible package joblet (proto/joblet.proto). */
export const jobletProto = loader<JobletProto>('joblet.proto');
/** Our own package joblet.events.v1 (proto/joblet_events_v1.proto): the event tail. */
export const eventsProto = loader<EventsProto>('joblet_events_v1.proto');
/** Our own package joblet.state.v1 (proto/joblet_state_v1.proto): every node's jobs. */
export const stateProto = loader<StateProto>('joblet_state_v1.proto');
/** Our own package joblet.logs.v1 (proto/joblet_logs_v1.proto): output with stream, tail, since, follow. */
export const logsProto = loader<LogsProto>('joblet_logs_v1.proto');
/** The internal joblet.persist.v1 (proto/joblet_persist_v1.proto): history from the persist child's files. */
export const persistProto = loader<PersistProto>('joblet_persist_v1.proto');
