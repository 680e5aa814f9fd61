// Opens an event log for the replay tool: read-only (LMDB MDB_RDONLY), with the schema upcasters,
// from whatever path the operator has at hand: the data dir, its events/ dir, or events.mdb itself.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { JobEvent } from '../events/jobEvents.js';
import { upcastJobEvent } from '../events/upcasters.js';
import { EventStore, EVENT_LOG_FILE } from '../persist/eventStore.js';

export function logDirOf(path: string): string {
  if (basename(path) === EVENT_LOG_FILE && existsSync(path) && statSync(path).isFile()) return dirname(path);
  if (existsSync(join(path, 'events', EVENT_LOG_FILE))) return join(path, 'events');
  if (existsSync(join(path, EVENT_LOG_FILE))) return path;
  throw new Error(`replay: no event log under ${path} (give the data dir, its events/ dir, or the ${EVENT_LOG_FILE} file)`);
}

export function openLogReadOnly(path: string): EventStore<JobEvent> {
  return EventStore.open<JobEvent>({ path: logDirOf(path), readOnly: true, upcast: upcastJobEvent });
}
