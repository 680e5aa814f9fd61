// What EventStore.open checks and recovers before the store is usable: the named dbs it needs,
// gap-free positions, and the head of the hash chain (backfilled for a log written before chaining).
import type { Database, RootDatabase } from 'lmdb';
import type { Envelope } from './codec.js';
import { GENESIS_HASH, HASH_BYTES, chainHash } from './hashChain.js';

export interface Dbs {
  events: Database<Envelope, number>;
  /** The same db as `events`, values as the raw stored bytes (for the hash chain). */
  eventsRaw: Database<Buffer, number>;
  /** undefined only for a log written before hash chaining, opened read-only. */
  chain: Database<Buffer, number> | undefined;
  byJob: Database<Buffer, [string, number]>;
  checkpoints: Database<number, string>;
  snapshots: Database<Buffer, string>;
}

export function lastKey(db: Database<unknown, number>): number {
  for (const key of db.getKeys({ reverse: true, limit: 1 })) return key;
  return 0;
}

/**
 * The last key of a db whose keys must be 1..last without gaps. LMDB keeps the entry count in the
 * db header, so comparing it with the last key costs nothing and catches a log that was edited or
 * half-copied. A read-only reader of a live log may see a commit land between the two reads, so it
 * retries with a fresh read snapshot before calling the log broken.
 */
export function denseLastKey(env: RootDatabase, db: Database<unknown, number>, name: string, readOnly: boolean): number {
  for (let attempt = 0; ; attempt++) {
    const last = lastKey(db);
    const count = (db.getStats() as { entryCount: number }).entryCount;
    if (count === last) return last;
    if (!readOnly || attempt >= 3) throw new Error(`${count} ${name} entries stored but the last position is ${last} (positions must be gap-free)`);
    env.resetReadTxn();
  }
}

/**
 * The hash of the last event, so appends continue the chain. A log written before hash chaining
 * has fewer hashes than events: opened for writing, the missing hashes are computed from the stored
 * bytes once (the chain then vouches for those events from this moment on); opened read-only, the
 * gap is left for verifyChain to report.
 */
export function recoverChainHead(env: RootDatabase, dbs: Dbs, last: number, readOnly: boolean): Buffer {
  const chain = dbs.chain;
  if (!chain) {
    if (!readOnly) throw new Error('the named db "chain" could not be created');
    return GENESIS_HASH;
  }
  const chained = denseLastKey(env, chain, 'chain', readOnly);
  if (chained > last) throw new Error(`the hash chain reaches position ${chained} but the last event is ${last} (events were removed)`);
  let head = chained === 0 ? GENESIS_HASH : chain.get(chained);
  if (!head || head.length !== HASH_BYTES) throw new Error(`the chain hash of position ${chained} is not ${HASH_BYTES} bytes`);
  if (chained === last || readOnly) return head;
  env.transactionSync(() => {
    for (const { key, value } of dbs.eventsRaw.getRange({ start: chained + 1, end: last + 1 })) {
      head = chainHash(head!, value);
      chain.putSync(key, head);
    }
  });
  return head;
}
