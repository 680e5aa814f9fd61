// The CLI's one status→error function (DESIGN.md "one error→status function at the server edge and
// one status→error function in the CLI"). Expected failures become a CliError whose message is
// the single `Error: ...` line the user sees; anything else is a bug and keeps its stack.
import { status as Status, type ServiceError } from '@grpc/grpc-js';

/** An expected failure: printed as one line, no stack. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** Where a call went, so a message can say which server and which config file to fix. */
export interface CallSite {
  address: string;
  node: string;
  configPath: string;
  /** The RPC or action, for messages such as "server does not support GetJobLogs". */
  what: string;
}

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'details' in err;
}

// grpc-js puts the TLS or socket reason into `details` for UNAVAILABLE; keep the part a user can
// act on ("connect ECONNREFUSED 127.0.0.1:1", "Hostname/IP does not match certificate's altnames").
function reason(err: ServiceError): string {
  const d = (err.details || err.message).trim();
  return d.replace(/^No connection established\. Last error: /, '').replace(/\.?\s*Resolution note:.*$/s, '')
    .replace(/^Error: /, '').replace(/\.$/, '');
}

export function fromServiceError(err: ServiceError, site: CallSite): CliError {
  const at = `${site.address} (node "${site.node}" in ${site.configPath})`;
  const d = reason(err);
  switch (err.code) {
    case Status.UNAVAILABLE:
      // The daemon answered, but a service behind it (the State backend, the persist service) is
      // down, or it is shutting down: its own message says what to do.
      if (/^(state backend |joblet is shutting down|output of job )/.test(d)) return new CliError(d);
      if (/certificate|altnames|self.signed|unable to verify|SSL|TLS|handshake/i.test(d)) {
        return new CliError(`tls handshake with ${at} failed: ${d}; check that ca, cert and key in the config belong to this server`);
      }
      return new CliError(`cannot reach joblet at ${at}: ${d}; is the daemon running and is the address right?`);
    case Status.DEADLINE_EXCEEDED:
      return new CliError(`no answer from ${at} in time (${site.what}); is the daemon overloaded or the address wrong?`);
    case Status.UNAUTHENTICATED:
      return new CliError(`server refused the client certificate: ${d}; check cert, key and ca of node "${site.node}" in ${site.configPath}`);
    case Status.PERMISSION_DENIED:
      return new CliError(`permission denied: ${d}; use a config whose certificate has a role that allows ${site.what}`);
    case Status.NOT_FOUND:
      // Scripts match on "not found"; keep it even if a server words its message differently.
      return new CliError(/not found/i.test(d) ? `${d} (see 'rnx job list')` : `not found: ${d} (see 'rnx job list')`);
    case Status.INVALID_ARGUMENT:
      return new CliError(`invalid request: ${d}`);
    case Status.FAILED_PRECONDITION:
    case Status.ALREADY_EXISTS:
    case Status.RESOURCE_EXHAUSTED:
    case Status.OUT_OF_RANGE:
      return new CliError(d);
    case Status.UNIMPLEMENTED:
      return new CliError(`server at ${site.address} does not support ${site.what}: ${d}; upgrade the daemon`);
    case Status.CANCELLED:
      return new CliError(`${site.what} canceled`, 130);
    default:
      return new CliError(`server error (${Status[err.code] ?? err.code}) in ${site.what}: ${d}`);
  }
}

/** Expected errors become one line; anything else is rethrown to be printed with its stack. */
export function toCliError(err: unknown, site: CallSite): CliError {
  if (err instanceof CliError) return err;
  if (isServiceError(err)) return fromServiceError(err, site);
  throw err;
}
