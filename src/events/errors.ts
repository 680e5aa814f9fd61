// Domain errors carry the gRPC-style code they map to, so the API edge has one mapping and the
// domain never imports grpc.

export type DomainErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'FAILED_PRECONDITION'
  | 'ALREADY_EXISTS'
  | 'RESOURCE_EXHAUSTED'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'UNIMPLEMENTED'
  | 'UNAVAILABLE';

export class DomainError extends Error {
  constructor(readonly code: DomainErrorCode, message: string) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (id: string) => new DomainError('NOT_FOUND', `job not found: ${id}`);
export const precondition = (message: string) => new DomainError('FAILED_PRECONDITION', message);
export const invalid = (field: string, rule: string) => new DomainError('INVALID_ARGUMENT', `${field}: ${rule}`);
