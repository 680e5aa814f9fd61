// Files a job owns on the host: DATA_DIR/jobs/<id>/work (its work dir, with the uploads) and
// DATA_DIR/jobs/<id>/secret-env (secret values, mode 0600). Secret values never enter the event
// log (they would be readable by every audit consumer); a scheduled job needs them after a
// restart, so they wait here until the job ends. The job dir is also its supervisor's state dir
// (supervisor.pid, status, output.spool: src/executor/supervisorFiles.ts), kept until its end is
// in the log.
import { mkdirSync, writeFileSync, rmSync, readFileSync, existsSync, readdirSync, openSync, closeSync, writeSync, fsyncSync, constants, lstatSync, chmodSync, fchmodSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { DomainError } from '../events/errors.js';
import { checkRelativePath } from '../events/validateRun.js';

/** What the job's supervisor leaves in the job dir (native/state.c, native/spool.c). */
const SUPERVISOR_FILES = ['output.spool', 'status', 'supervisor.pid'];

export interface UploadContent {
  path: string;
  content: Uint8Array;
  mode: number;
  isDirectory: boolean;
}

export class JobFiles {
  constructor(private readonly jobsDir: string) {
    mkdirSync(jobsDir, { recursive: true, mode: 0o700 });
  }

  jobDir(id: string): string {
    return join(this.jobsDir, id);
  }

  workDir(id: string): string {
    return join(this.jobDir(id), 'work');
  }

  /** The empty mount point of the job's own root (the launcher builds the root on it). */
  rootDir(id: string): string {
    const root = join(this.jobDir(id), 'root');
    mkdirSync(root, { recursive: true, mode: 0o700 });
    return root;
  }

  /** Creates the work dir and writes the uploads into it; on any failure removes everything it made. */
  prepare(id: string, uploads: UploadContent[], secrets: Record<string, string>): void {
    const work = this.workDir(id);
    try {
      mkdirSync(work, { recursive: true, mode: 0o755 });
      for (const [i, u] of uploads.entries()) writeUpload(work, u, `uploads[${i}].path`);
      if (Object.keys(secrets).length > 0) {
        writeDurable(join(this.jobDir(id), 'secret-env'), JSON.stringify(secrets), 0o600);
      }
    } catch (err) {
      this.remove(id);
      throw err;
    }
  }

  secrets(id: string): Record<string, string> {
    const p = join(this.jobDir(id), 'secret-env');
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Record<string, string>) : {};
  }

  /** Once the job's end is durable its output is all in the log: the spool and status can go. */
  forgetSupervisor(id: string): void {
    for (const f of SUPERVISOR_FILES) rmSync(join(this.jobDir(id), f), { force: true });
  }

  forgetSecrets(id: string): void {
    rmSync(join(this.jobDir(id), 'secret-env'), { force: true });
  }

  remove(id: string): void {
    rmSync(this.jobDir(id), { recursive: true, force: true });
  }

  /** Job dirs on disk; the daemon removes those whose job the log does not know (a crash mid-submit). */
  listed(): string[] {
    return existsSync(this.jobsDir) ? readdirSync(this.jobsDir) : [];
  }
}

function writeUpload(work: string, u: UploadContent, field: string): void {
  const problem = checkRelativePath(u.path);
  if (problem) throw new DomainError('INVALID_ARGUMENT', `${field}: ${problem}`);
  const target = join(work, u.path);
  // Parents are created here, by us, so none can be a symlink planted by the job; a later upload
  // that names an earlier file as a directory still fails below, because O_NOFOLLOW and lstat refuse links.
  mkdirSync(u.isDirectory ? target : dirname(target), { recursive: true, mode: 0o755 });
  if (u.isDirectory) {
    if (!lstatSync(target).isDirectory()) throw new DomainError('INVALID_ARGUMENT', `${field}: ${u.path} is not a directory`);
    if (u.mode) chmodSync(target, u.mode & 0o7777);
    return;
  }
  const fd = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, u.mode & 0o7777 || 0o644);
  try {
    fchmodSync(fd, u.mode & 0o7777 || 0o644);  // exact mode, whatever the daemon's umask
    writeSync(fd, u.content);
  } finally {
    closeSync(fd);
  }
}

function writeDurable(path: string, text: string, mode: number): void {
  writeFileSync(path, text, { mode });
  const fd = openSync(path, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}
