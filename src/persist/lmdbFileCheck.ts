// A pre-open sanity check of an LMDB data file. LMDB trusts its file: a truncated file makes the
// mmap'ed read fault with SIGBUS, and random bytes can crash it with SIGSEGV — neither can be caught
// in JS, so the daemon would die without naming the file. A file of zeros is worse: LMDB treats it
// as a new, empty environment, silently dropping the log. Reading the two meta pages ourselves
// turns the common cases (truncated copy, zeroed or foreign file) into a readable error.
// Layout facts are from lmdb-js's bundled liblmdb (dependencies/lmdb/libraries/liblmdb/mdb.c):
// pages 0 and 1 each hold an MDB_meta after the page header; MDB_MAGIC is 0xBEEFC0DE.
import { openSync, readSync, fstatSync, closeSync } from 'node:fs';

const MDB_MAGIC = 0xbeefc0de;
// lmdb-js builds the mdb.master3 branch, whose page header carries an 8-byte txnid (24 bytes);
// classic 0.9 LMDB has a 16-byte header. Accept either so the check does not depend on the build.
const PAGE_HEADER_SIZES = [24, 16];
// MDB_meta: magic u32, version u32, address u64, mapsize u64, then two MDB_db of 48 bytes
// (free-space db, main db). mm_psize is the free db's md_pad; md_root sits 40 bytes into an MDB_db.
const META = { psize: 24, dbs: 24, dbSize: 48, rootInDb: 40 } as const;
// An empty B-tree has root P_INVALID (all ones).
const P_INVALID = 0xffffffffffffffffn;

/** Returns undefined when the file is absent, empty (LMDB initialises it) or looks sound;
 *  otherwise the reason it must not be handed to LMDB. */
export function checkLmdbFile(file: string): string | undefined {
  let fd: number;
  try { fd = openSync(file, 'r'); } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? undefined : `open: ${code ?? String(err)}`;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return undefined;
    const head = Buffer.alloc(Math.min(size, 4096));
    readSync(fd, head, 0, head.length, 0);
    const hdr = PAGE_HEADER_SIZES.find((h) => head.length >= h + 4 && head.readUInt32LE(h) === MDB_MAGIC);
    if (hdr === undefined) return 'not an LMDB file (no meta page magic at offset 0)';
    const pageSize = head.readUInt32LE(hdr + META.psize);
    if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `meta page 0 has an invalid page size ${pageSize}`;
    if (size < 2 * pageSize) return `file is ${size} bytes, shorter than its two ${pageSize}-byte meta pages (truncated)`;
    const filePages = BigInt(Math.floor(size / pageSize));
    for (let page = 0; page < 2; page++) {
      const buf = Buffer.alloc(hdr + 160);
      readSync(fd, buf, 0, buf.length, page * pageSize);
      if (buf.readUInt32LE(hdr) !== MDB_MAGIC) return `meta page ${page} has no LMDB magic`;
      // Both B-tree roots must lie inside the file; a root past the end means the file was cut
      // short and LMDB would fault on first access. (mm_last_pg is not checked: mdb.c notes the
      // file may legitimately be shorter than it.)
      for (let db = 0; db < 2; db++) {
        const root = buf.readBigUInt64LE(hdr + META.dbs + db * META.dbSize + META.rootInDb);
        if (root !== P_INVALID && root >= filePages) {
          return `meta page ${page} points at page ${root} but the file has only ${filePages} pages (truncated)`;
        }
      }
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
