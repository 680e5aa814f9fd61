// Who may call what (spec/joblet-api.md, "Roles"). Roles are ranked, each including the one below:
// reader < developer < maintainer < admin, so the table names, per RPC, the least role that may call it.
// Anything not in the table is refused to everyone but admin: a new RPC is locked until someone
// decides who may call it.

export const ROLES = ['reader', 'developer', 'maintainer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const rank = (role: Role): number => ROLES.indexOf(role);

/** Joblet's five public services; every RPC they declare. */
const CORE: Readonly<Record<string, Readonly<Record<string, Role>>>> = {
  'joblet.JobService': {
    RunJob: 'developer',
    GetJobStatus: 'reader',
    StopJob: 'developer',
    CancelJob: 'developer',
    DeleteJob: 'developer',
    DeleteAllJobs: 'developer',
    GetJobLogs: 'reader',
    ListJobs: 'reader',
    StreamJobMetrics: 'reader',
    GetJobMetrics: 'reader',
    StreamJobTelematics: 'reader',
    GetJobTelematics: 'reader',
  },
  'joblet.NetworkService': { CreateNetwork: 'maintainer', ListNetworks: 'reader', RemoveNetwork: 'admin' },
  'joblet.VolumeService': { CreateVolume: 'maintainer', ListVolumes: 'reader', RemoveVolume: 'admin' },
  'joblet.MonitoringService': { GetSystemStatus: 'reader', StreamSystemMetrics: 'reader' },
  'joblet.RuntimeService': {
    ListRuntimes: 'reader',
    GetRuntimeInfo: 'reader',
    TestRuntime: 'developer',
    RemoveRuntime: 'admin',
    BuildRuntime: 'maintainer',
    ValidateRuntimeYAML: 'maintainer',
  },
};

/** Our own services (e.g. joblet.events.v1), registered by the code that serves them. */
const extensions = new Map<string, Role>();

/** `read` = any role (reader up), `write` = developer up, `admin` = admin only. */
export type ExtensionAccess = 'read' | 'write' | 'admin';
const ACCESS: Record<ExtensionAccess, Role> = { read: 'reader', write: 'developer', admin: 'admin' };

export function registerExtensionMethod(service: string, method: string, access: ExtensionAccess): void {
  if (service in CORE) throw new Error(`rbac: ${service} is a Joblet service; its rules are fixed in rbac.ts`);
  if (!/^[A-Za-z_][\w.]*$/.test(service) || !/^[A-Za-z_]\w*$/.test(method)) {
    throw new Error(`rbac: ${JSON.stringify(`${service}/${method}`)} is not a gRPC service/method name`);
  }
  const key = `${service}/${method}`;
  const role = ACCESS[access];
  const had = extensions.get(key);
  if (had !== undefined && had !== role) throw new Error(`rbac: ${key} is already registered as needing ${had}`);
  extensions.set(key, role);
}

/** The least role that may call the method, or null when no rule names it (then only admin may). */
export function requiredRole(service: string, method: string): Role | null {
  const core = CORE[service];
  if (core !== undefined) return Object.hasOwn(core, method) ? core[method] : null;
  return extensions.get(`${service}/${method}`) ?? null;
}

export function isAllowed(role: Role, service: string, method: string): boolean {
  return rank(role) >= rank(requiredRole(service, method) ?? 'admin');
}

export function denyMessage(role: Role, service: string, method: string): string {
  const needs = requiredRole(service, method);
  const why = needs === null ? 'no rule allows it to any role but admin' : `needs ${needs}`;
  return `role ${role} may not call ${service}/${method} (${why})`;
}

/** "/joblet.JobService/RunJob" (grpc-js handler path) → service and method. */
export function splitMethodPath(path: string): { service: string; method: string } {
  const m = /^\/([^/]+)\/([^/]+)$/.exec(path);
  if (!m) throw new Error(`rbac: ${JSON.stringify(path)} is not a gRPC method path like /joblet.JobService/RunJob`);
  return { service: m[1], method: m[2] };
}

/** Every RPC of the five Joblet services, for tests and for checking the proto against this table. */
export function coreMethods(): { service: string; method: string; needs: Role }[] {
  return Object.entries(CORE).flatMap(([service, methods]) => Object.entries(methods).map(([method, needs]) => ({ service, method, needs })));
}
