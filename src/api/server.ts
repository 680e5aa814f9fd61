// The gRPC server: mTLS credentials, every service of package joblet registered, each RPC
// behind the middleware chain. RPCs we do not offer yet still pass RBAC first, then answer
// UNIMPLEMENTED with a message, so clients learn about permissions before features.
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { jobletProto, eventsProto, stateProto, logsProto } from '../proto.js';
import { DomainError } from '../events/errors.js';
import { Middleware, type RejectionRecorder } from './middleware.js';
import { requireTls13 } from './identity.js';
import { jobServiceHandlers, type JobServiceDeps } from './jobService.js';
import { monitoringHandlers, type MonitoringDeps } from './monitoringService.js';
import { eventService } from './eventService.js';
import { stateServiceHandlers } from './stateService.js';
import { logServiceHandlers } from './logService.js';
import { OutputStreams } from './outputStream.js';
import { LOG_ONLY_HISTORY } from './outputHistory.js';

export interface ServerOptions {
  host: string;
  port: number;
  tls: { ca: string; cert: string; key: string };  // file paths
  log: Logger;
}

export interface ApiServer {
  /** host:port actually bound (port 0 → the kernel's choice). */
  address: string;
  port: number;
  close(): Promise<void>;
}

/** Where refused requests are recorded (the event log); without it they are only answered. */
export interface AuditDeps { recordRejection?: RejectionRecorder }

export async function startApiServer(opts: ServerOptions, deps: JobServiceDeps & MonitoringDeps & AuditDeps): Promise<ApiServer> {
  requireTls13();
  const m = new Middleware(opts.log, deps.recordRejection);
  const pkg = jobletProto().joblet;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 256 * 1024 * 1024 });
  // One output engine for GetJobLogs and joblet.logs.v1, so shutdown can end every open read.
  const outputs = new OutputStreams({ store: deps.store, commands: deps.commands, history: deps.outputHistory ?? LOG_ONLY_HISTORY });

  // Ends live metric streams with UNAVAILABLE at close, so shutdown never waits on them.
  const shutdown = new AbortController();
  const services = {
    JobService: jobServiceHandlers(m, { ...deps, shutdown: shutdown.signal }, outputs),
    MonitoringService: monitoringHandlers(m, deps),
    NetworkService: {},
    VolumeService: {},
    RuntimeService: {},
  } as const;
  for (const [name, handlers] of Object.entries(services)) {
    const definition = pkg[name as keyof typeof services].service;
    server.addService(definition, withPlaceholders(m, `joblet.${name}`, definition, handlers as grpc.UntypedServiceImplementation));
  }
  // Our own package: the event tail (proto/joblet_events_v1.proto), behind the same middleware.
  const events = eventService(m, { store: deps.store, table: deps.commands.table, nodeId: deps.nodeId });
  server.addService(eventsProto().joblet.events.v1.EventService.service, events.handlers);
  // And every node's jobs from the shared State backend (proto/joblet_state_v1.proto).
  server.addService(stateProto().joblet.state.v1.StateService.service, stateServiceHandlers(m, { backend: () => deps.facts()['state.backend'] }));
  // A job's output with stream, tail, since and follow (proto/joblet_logs_v1.proto).
  server.addService(logsProto().joblet.logs.v1.LogService.service, logServiceHandlers(m, { table: deps.commands.table, outputs }));

  const creds = grpc.ServerCredentials.createSsl(
    readFileSync(opts.tls.ca),
    [{ cert_chain: readFileSync(opts.tls.cert), private_key: readFileSync(opts.tls.key) }],
    true,
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`, creds, (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    address: `${opts.host}:${port}`,
    port,
    close: () => new Promise((resolve) => {
      // Following tails never end on their own; end them so shutdown need not force.
      events.closeAll();
      outputs.closeAll();
      shutdown.abort();
      const force = setTimeout(() => server.forceShutdown(), 2000);
      server.tryShutdown(() => { clearTimeout(force); resolve(); });
    }),
  };
}

function withPlaceholders(m: Middleware, service: string, def: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = { ...impl };
  for (const [method, d] of Object.entries(def)) {
    if (out[method]) continue;
    const notYet = async () => { throw new DomainError('UNIMPLEMENTED', `${service}/${method} is not available in this version of joblet`); };
    out[method] = d.responseStream ? m.stream(service, method, notYet) : m.unary(service, method, notYet);
  }
  return out;
}
