// Certificates and client configs are replaced whole: write a temp file with the final mode, fsync
// it, rename(2) it over the old one. A crash leaves either the old file or the new one, never a
// half-written key, and an existing file's looser mode is not inherited (writeFile keeps the mode
// of a file it overwrites).
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

export function atomicWrite(file: string, content: string, mode: number): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    fchmodSync(fd, mode); // open(2) filters the mode through the umask; set exactly what was asked
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
}
