// One mTLS channel to one node, and promise wrappers that turn gRPC failures into CliErrors.
import * as grpc from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { jobletProto, eventsProto, stateProto } from '../proto.js';
import type { JobServiceClient } from '../gen/joblet/JobService.js';
import type { MonitoringServiceClient } from '../gen/joblet/MonitoringService.js';
import type { EventServiceClient } from '../gen/joblet/events/v1/EventService.js';
import type { StateServiceClient } from '../gen/joblet/state/v1/StateService.js';
import type { NodeConfig } from './config.js';
import { toCliError, type CallSite } from './errors.js';

export interface Session {
  node: NodeConfig;
  configPath: string;
  jobs: JobServiceClient;
  monitoring: MonitoringServiceClient;
  /** joblet.events.v1.EventService (our own package). */
  events: EventServiceClient;
  /** joblet.state.v1.StateService (our own package): every node's jobs. */
  state: StateServiceClient;
  site(what: string): CallSite;
  close(): void;
}

/** Used for SNI only when the address is an IP literal; it is one of the SANs the daemon issues. */
const SNI_NAME_FOR_IP = 'joblet';

// The daemon's certificate carries the SANs joblet, localhost, 127.0.0.1 and its host name, so the
// address is verified as written. Node refuses an IP as TLS ServerName (RFC 6066, DEP0123 warning on
// stderr), so for IP addresses we send a name as SNI but still check the certificate against the IP.
function channel(node: NodeConfig): { creds: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
  const host = node.address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  const ip = isIP(host) !== 0;
  const creds = grpc.credentials.createSsl(
    Buffer.from(node.ca), Buffer.from(node.key), Buffer.from(node.cert),
    ip ? { checkServerIdentity: (_name: string, cert: PeerCertificate) => checkServerIdentity(host, cert) } : {},
  );
  const options: grpc.ChannelOptions = {
    // Job lists and status replies with many uploads can pass gRPC's 4 MiB default.
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': -1,
  };
  if (ip) options['grpc.ssl_target_name_override'] = SNI_NAME_FOR_IP;
  return { creds, options };
}

export function openSession(node: NodeConfig, configPath: string): Session {
  const { creds, options } = channel(node);
  const pkg = jobletProto().joblet;
  const jobs = new pkg.JobService(node.address, creds, options);
  const monitoring = new pkg.MonitoringService(node.address, creds, options);
  const events = new (eventsProto().joblet.events.v1.EventService)(node.address, creds, options);
  const state = new (stateProto().joblet.state.v1.StateService)(node.address, creds, options);
  return {
    node, configPath, jobs, monitoring, events, state,
    site: (what) => ({ address: node.address, node: node.name, configPath, what }),
    close() { jobs.close(); monitoring.close(); events.close(); state.close(); },
  };
}

type UnaryMethod<Req, Res> = (req: Req, metadata: grpc.Metadata, options: grpc.CallOptions, cb: grpc.requestCallback<Res>) => grpc.ClientUnaryCall;

export const DEFAULT_DEADLINE_MS = 30_000;

/** Calls a unary RPC with a deadline; gRPC failures come back as CliErrors naming the node. */
export function unary<Req, Res>(s: Session, what: string, method: UnaryMethod<Req, Res>, req: Req, deadlineMs = DEFAULT_DEADLINE_MS): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(req, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) => {
      if (err) {
        try { reject(toCliError(err, s.site(what))); } catch (bug) { reject(bug); }
      } else resolve(res as Res);
    });
  });
}
