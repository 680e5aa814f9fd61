// Every RPC passes the same chain: errors → identity (mTLS peer certificate) → RBAC → handler.
// Handlers are plain async functions that get the request and the verified caller; they never see
// grpc-js call objects unless they stream. On the way out, a refusal (RBAC or a DomainError from
// the handler) is recorded as a RequestRejected audit event before the caller gets its status
// (docs/decisions/0005-rejections-are-audit-facts.md). A caller without a verified certificate
// never gets here: the TLS layer refuses the connection (identity.ts).
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Caller } from '../events/job.js';
import { DomainError } from '../events/errors.js';
import { isRecordedRejection, type RequestRejected } from '../events/requestRejected.js';
import { peerIdentity, type CallWithAuth } from './identity.js';
import { isAllowed, denyMessage } from './rbac.js';
import { toStatus } from './errors.js';
import { summarizeRequest } from './requestSummary.js';

export interface CallContext {
  caller: Caller;
  /** Fires when the client goes away (cancel, deadline, disconnect). */
  cancelled: AbortSignal;
}

export type UnaryHandler<Req, Res> = (req: Req, ctx: CallContext) => Promise<Res>;
export type StreamHandler<Req, Res> = (req: Req, ctx: CallContext, out: grpc.ServerWritableStream<Req, Res>) => Promise<void>;

/** A refusal to record; `jobRef` is the job id or prefix the request named, if any. */
export type Rejection = Omit<RequestRejected, 'type' | 'jobId'>;
/** Appends the refusal durably; the daemon resolves jobRef against its job table. */
export type RejectionRecorder = (rejection: Rejection, jobRef: string | undefined) => Promise<void>;

// A message is the DomainError's text, which names fields and rules but never secret values
// (validateRun.ts); it is still bounded, since it may quote what the caller sent.
const MAX_MESSAGE = 1000;

// The reason every call's AbortSignal carries once the call is over. abort() without one builds a
// DOMException, with a stack trace, per call: ~1 % of the daemon's main thread in bench/launch (d),
// where grpc-js reports every unary call and stream as 'cancelled' or 'close' at its end.
const CALL_ENDED = new Error('the call ended (finished, cancelled, past its deadline or disconnected)');

export class Middleware {
  constructor(private readonly log: Logger, private readonly recordRejection?: RejectionRecorder) {}

  unary<Req, Res>(service: string, method: string, handler: UnaryHandler<Req, Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort(CALL_ENDED));
      this.authorize(call, service, method)
        .then((caller) => handler(call.request, { caller, cancelled: abort.signal }))
        .then((res) => callback(null, res), (err) => this.audit(err, call, call.request, service, method)
          .then(() => callback(toStatus(err, this.log, `${service}/${method}`))));
    };
  }

  stream<Req, Res>(service: string, method: string, handler: StreamHandler<Req, Res>): grpc.handleServerStreamingCall<Req, Res> {
    return (call) => {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort(CALL_ENDED));
      call.on('close', () => abort.abort(CALL_ENDED));
      this.authorize(call, service, method)
        .then((caller) => handler(call.request, { caller, cancelled: abort.signal }, call))
        .then(() => { if (!abort.signal.aborted) call.end(); },
          // grpc-js turns an 'error' event on a server stream into the call's final status.
          (err) => this.audit(err, call, call.request, service, method)
            .then(() => { if (!abort.signal.aborted) call.emit('error', toStatus(err, this.log, `${service}/${method}`)); }));
    };
  }

  private async authorize(call: CallWithAuth, service: string, method: string): Promise<Caller> {
    const id = peerIdentity(call);
    if (!id) throw new DomainError('UNAUTHENTICATED', 'no verified client certificate: use a certificate issued by this node\'s CA (see rnx-config.yml)');
    if (!id.role) throw new DomainError('PERMISSION_DENIED', `certificate ${id.cn} has unknown role "${id.ou}" (known: admin, maintainer, developer, reader)`);
    if (!isAllowed(id.role, service, method)) throw new DomainError('PERMISSION_DENIED', denyMessage(id.role, service, method));
    return { cn: id.cn, role: id.role, ...(id.peer ? { peer: id.peer } : {}) };
  }

  /** Records a refusal; never fails the call: the caller still gets its status if the log cannot be written. */
  private async audit(err: unknown, call: CallWithAuth, request: unknown, service: string, method: string): Promise<void> {
    if (!this.recordRejection || !(err instanceof DomainError) || !isRecordedRejection(err.code)) return;
    const id = peerIdentity(call);
    if (!id) return;
    const by: Rejection['by'] = { cn: id.cn, role: id.role ?? 'unknown', ...(id.role ? {} : { ou: id.ou }), ...(id.peer ? { peer: id.peer } : {}) };
    const message = err.message.length <= MAX_MESSAGE ? err.message : `${err.message.slice(0, MAX_MESSAGE)}...`;
    const uuid = (request as { uuid?: unknown } | null)?.uuid;
    try {
      await this.recordRejection({ at: Date.now(), by, method: `${service}/${method}`, code: err.code, message, request: summarizeRequest(request) },
        typeof uuid === 'string' && uuid !== '' ? uuid : undefined);
    } catch (e) {
      this.log.error({ err: e, method: `${service}/${method}` }, 'could not record a refused request in the event log');
    }
  }
}
