// Every RPC passes the same chain: errors → identity (mTLS peer certificate) → RBAC → handler.
// Handlers are plain async functions that get the request and the verified caller; they never see
// grpc-js call objects unless they stream.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Caller } from '../events/job.js';
import { DomainError } from '../events/errors.js';
import { peerIdentity, type CallWithAuth } from './identity.js';
import { isAllowed, denyMessage } from './rbac.js';
import { toStatus } from './errors.js';

export interface CallContext {
  caller: Caller;
  /** Fires when the client goes away (cancel, deadline, disconnect). */
  cancelled: AbortSignal;
}

export type UnaryHandler<Req, Res> = (req: Req, ctx: CallContext) => Promise<Res>;
export type StreamHandler<Req, Res> = (req: Req, ctx: CallContext, out: grpc.ServerWritableStream<Req, Res>) => Promise<void>;

export class Middleware {
  constructor(private readonly log: Logger) {}

  unary<Req, Res>(service: string, method: string, handler: UnaryHandler<Req, Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      this.authorize(call, service, method)
        .then((caller) => handler(call.request, { caller, cancelled: abort.signal }))
        .then((res) => callback(null, res), (err) => callback(toStatus(err, this.log, `${service}/${method}`)));
    };
  }

  stream<Req, Res>(service: string, method: string, handler: StreamHandler<Req, Res>): grpc.handleServerStreamingCall<Req, Res> {
    return (call) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      call.on('close', () => abort.abort());
      this.authorize(call, service, method)
        .then((caller) => handler(call.request, { caller, cancelled: abort.signal }, call))
        .then(() => { if (!abort.signal.aborted) call.end(); },
          // grpc-js turns an 'error' event on a server stream into the call's final status.
          (err) => { if (!abort.signal.aborted) call.emit('error', toStatus(err, this.log, `${service}/${method}`)); });
    };
  }

  private async authorize(call: CallWithAuth, service: string, method: string): Promise<Caller> {
    const id = peerIdentity(call);
    if (!id) throw new DomainError('UNAUTHENTICATED', 'no verified client certificate: use a certificate issued by this node\'s CA (see rnx-config.yml)');
    if (!id.role) throw new DomainError('PERMISSION_DENIED', `certificate ${id.cn} has unknown role "${id.ou}" (known: admin, maintainer, developer, reader)`);
    if (!isAllowed(id.role, service, method)) throw new DomainError('PERMISSION_DENIED', denyMessage(id.role, service, method));
    return { cn: id.cn, role: id.role, ...(id.peer ? { peer: id.peer } : {}) };
  }
}
