// The one error → gRPC status mapping at the server edge. Domain errors keep their message; any
// other error is a bug: it is logged with its stack and the client sees only an incident id.
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DomainError } from '../events/errors.js';

const CODES: Record<DomainError['code'], grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  UNIMPLEMENTED: grpc.status.UNIMPLEMENTED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
};

export function toStatus(err: unknown, log: Logger, method: string): Partial<grpc.StatusObject> {
  if (err instanceof DomainError) return { code: CODES[err.code], details: err.message };
  const incident = randomUUID().slice(0, 8);
  log.error({ err, method, incident }, 'internal error');
  return { code: grpc.status.INTERNAL, details: `internal error (incident ${incident}; see the daemon log)` };
}
