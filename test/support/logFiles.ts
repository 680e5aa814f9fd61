// Byte-level helpers for tests that tamper with a COPY of an event log or prove a file untouched.
import { readFileSync, statSync, writeFileSync } from 'node:fs';

/**
 * Flips one byte of every occurrence of `marker` in the file and returns how many there were.
 * Every occurrence, because LMDB is copy-on-write: older versions of a page (from earlier
 * transactions) can still hold the same event bytes in free pages, and only one of them is live.
 */
export function flipMarker(file: string, marker: string): number {
  const bytes = readFileSync(file);
  const needle = Buffer.from(marker);
  let count = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + needle.length)) {
    bytes[at + needle.length - 1] ^= 0x01;
    count++;
  }
  writeFileSync(file, bytes);
  return count;
}

export interface FileFingerprint { bytes: Buffer; mtimeMs: number; size: number }

export function fingerprint(file: string): FileFingerprint {
  const st = statSync(file);
  return { bytes: readFileSync(file), mtimeMs: st.mtimeMs, size: st.size };
}

export function sameFile(a: FileFingerprint, b: FileFingerprint): boolean {
  return a.mtimeMs === b.mtimeMs && a.size === b.size && a.bytes.equals(b.bytes);
}
