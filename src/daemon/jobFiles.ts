// Files a job owns on the host: DATA_DIR/jobs/<id>/work (its uploads, if any) and
// DATA_DIR/jobs/<id>/secret-env (secret values, mode 0600). Secret values never enter the event
// log (they would be readable by every audit consumer); a scheduled job needs them after a
// restart, so they wait here until the job ends. DATA_DIR/spool/<id> is the job's output as its
// supervisor captured it: emptied once the job's end is in the log, removed on DeleteJob. All
// spools share one dir, so a job with neither uploads nor secrets has no job dir at all (an ext4
// mkdir allocates an inode and a block: ~2 % of the bench VM's CPU at 100 jobs/s, measured).
//
// The supervisor's small files (supervisor.pid, status: src/executor/supervisorFiles.ts) live in
// a state dir on a tmpfs, STATE_ROOT/<id> (tmpfsStateRoot), where creating them costs no disk
// inode: on ext4 without a journal every create scans past the inodes freed in the last minute
// or more, ~0.3-0.9 ms each under a steady stream of jobs on the bench VM instead of ~0.01 ms on
// a tmpfs. A tmpfs survives a daemon restart, which is what re-attaching needs (jobs outlive the
// daemon, not the host; after a host restart the spool on disk still tells that a supervisor ran).
// Those files go once the job's end is in the log. Without a tmpfs they and the spool stay in the
// job dir, as they all did before.
import { mkdirSync, writeFileSync, rmSync, rmdirSync, truncateSync, readFileSync, existsSync, readdirSync, statSync, unlinkSync, openSync, closeSync, writeSync, fsyncSync, constants, lstatSync, chmodSync, fchmodSync, statfsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { DomainError } from '../events/errors.js';
import { checkRelativePath } from '../events/validateRun.js';
import { CORRUPT_SUFFIX, PID_FILE, SPOOL_FILE, STATUS_FILE } from '../executor/index.js';

/** statfs(2) f_type of a tmpfs (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;

/**
 * The dir for this node's supervisor state dirs on a tmpfs, made (0700) if missing: /dev/shm,
 * the tmpfs every Linux host has, under a name of this node's own. Undefined when /dev/shm is not
 * a tmpfs (the state dirs then stay in the job dirs). /dev/shm is writable by every user, so a
 * dir found there must be ours: not a symlink, owned by us, no access for others.
 */
export function tmpfsStateRoot(nodeId: string, base = '/dev/shm'): string | undefined {
  try {
    if (statfsSync(base).type !== TMPFS_MAGIC) return undefined;
  } catch {
    return undefined;
  }
  const root = join(base, `joblet-${nodeId}`);
  try {
    mkdirSync(root, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = lstatSync(root);
  if (!st.isDirectory() || st.uid !== process.geteuid?.() || (st.mode & 0o077) !== 0) {
    throw new Error(`${root}: not a directory of uid ${process.geteuid?.()} with mode 0700 (it is ${st.isSymbolicLink() ? 'a symlink' : `uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}`}); it is not this daemon's: remove it and start again`);
  }
  return root;
}

/** Where a job's supervisor keeps its files (LaunchSpec.stateDir, spoolFile). */
export interface StatePaths { stateDir: string; spoolFile?: string }

export interface UploadContent {
  path: string;
  content: Uint8Array;
  mode: number;
  isDirectory: boolean;
}

export class JobFiles {
  /**
   * The mount point every job's root is built on. One empty dir serves all jobs: each job mounts
   * its root tmpfs there inside its own private mount namespace, invisible to the host and to the
   * other jobs (native/rootfs.c), so no job needs a dir of its own for it.
   */
  readonly rootMountPoint: string;
  /** DATA_DIR/spool, beside the jobs dir: one spool per job, named by its id (with a stateRoot) */
  private readonly spoolsDir: string;

  /** stateRoot: a dir on a tmpfs for the supervisors' state dirs (tmpfsStateRoot); absent: the job dirs */
  constructor(private readonly jobsDir: string, runDir: string, private readonly stateRoot?: string) {
    mkdirSync(jobsDir, { recursive: true, mode: 0o700 });
    this.spoolsDir = join(dirname(jobsDir), 'spool');
    if (stateRoot) mkdirSync(this.spoolsDir, { recursive: true, mode: 0o700 });
    this.rootMountPoint = join(runDir, 'job-root');
    mkdirSync(this.rootMountPoint, { recursive: true, mode: 0o700 });
  }

  jobDir(id: string): string {
    return join(this.jobsDir, id);
  }

  /** Where a job to launch now keeps its supervisor's files. */
  launchPaths(id: string): StatePaths {
    if (!this.stateRoot) return { stateDir: this.jobDir(id) };
    return { stateDir: join(this.stateRoot, id), spoolFile: join(this.spoolsDir, id) };
  }

  /**
   * Where a launched job's supervisor keeps its files: as launchPaths, except for a job an older
   * daemon launched with everything in its job dir (an upgrade with jobs running).
   */
  statePaths(id: string): StatePaths {
    const paths = this.launchPaths(id);
    if (paths.spoolFile === undefined || existsSync(paths.stateDir)) return paths;
    const legacy = this.jobDir(id);
    return existsSync(join(legacy, PID_FILE)) || existsSync(join(legacy, STATUS_FILE)) ? { stateDir: legacy } : paths;
  }

  /** The host dir holding the job's uploads; undefined when it has none (its work dir starts empty). */
  workDir(id: string): string | undefined {
    const work = join(this.jobDir(id), 'work');
    return existsSync(work) ? work : undefined;
  }

  /**
   * Writes the uploads into the job's host work dir and its secrets next to it; on any failure
   * removes everything it made. A job with neither gets no dir here: its supervisor's launch makes
   * the job dir (a mkdir less on the path of every plain RunJob).
   */
  prepare(id: string, uploads: UploadContent[], secrets: Record<string, string>): void {
    if (uploads.length === 0 && Object.keys(secrets).length === 0) return;
    const work = join(this.jobDir(id), 'work');
    try {
      mkdirSync(uploads.length > 0 ? work : this.jobDir(id), { recursive: true, mode: 0o755 });
      for (const [i, u] of uploads.entries()) writeUpload(work, u, `uploads[${i}].path`);
      if (Object.keys(secrets).length > 0) {
        writeDurable(join(this.jobDir(id), 'secret-env'), JSON.stringify(secrets), 0o600);
      }
    } catch (err) {
      this.remove(id);
      throw err;
    }
  }

  /** The secret values of a job whose spec names secret keys (read at its launch). */
  secrets(id: string): Record<string, string> {
    const p = join(this.jobDir(id), 'secret-env');
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Record<string, string>) : {};
  }

  /**
   * Once the job's end is durable its output is all in the log: the spool (which may be large) is
   * emptied, and the secrets of a job that had any go. The spool's inode stays until DeleteJob:
   * on ext4 without a journal, every create scans past the inodes freed in the last ~30 s, so an
   * unlink per job made every launch's creates slow under a steady stream of jobs (0.9 ms each
   * instead of 0.02 ms, measured on the bench VM).
   */
  forgetEnded(id: string, hadSecrets: boolean): void {
    // A job that printed nothing has no spool (the supervisor makes it at the first output): a
    // stat that cannot throw comes before the truncate, since a thrown ENOENT (an Error with its
    // stack) costs more than the truncate itself, per job, on the daemon's thread.
    for (const spool of [join(this.spoolsDir, id), join(this.jobDir(id), SPOOL_FILE)]) {
      if (!statSync(spool, { throwIfNoEntry: false })) continue;
      truncateSync(spool, 0);
      break;
    }
    if (hadSecrets) rmSync(join(this.jobDir(id), 'secret-env'), { force: true });
    // the tmpfs holds memory, not disk: nothing of an ended job's supervisor stays there
    if (this.stateRoot) removeFlatDir(join(this.stateRoot, id));
  }

  remove(id: string): void {
    rmSync(this.jobDir(id), { recursive: true, force: true });
    rmSync(join(this.spoolsDir, id), { force: true });
    rmSync(join(this.spoolsDir, id + CORRUPT_SUFFIX), { force: true });
    if (this.stateRoot) rmSync(join(this.stateRoot, id), { recursive: true, force: true });
  }

  /** Jobs with files here (job dir, spool or state dir); the daemon removes those the log does not know (a crash mid-submit). */
  listed(): string[] {
    const names = new Set<string>();
    for (const dir of [this.jobsDir, this.spoolsDir, ...(this.stateRoot ? [this.stateRoot] : [])]) {
      // a spool the operator set aside (`mv <id> <id>.corrupt`) belongs to job <id>
      if (existsSync(dir)) for (const n of readdirSync(dir)) names.add(n.endsWith(CORRUPT_SUFFIX) ? n.slice(0, -CORRUPT_SUFFIX.length) : n);
    }
    return [...names];
  }

  /** At the daemon's close: the tmpfs dir goes if no job's supervisor files are left in it. */
  close(): void {
    if (!this.stateRoot) return;
    try { rmdirSync(this.stateRoot); } catch { /* running jobs keep it, for the next daemon */ }
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

/**
 * Removes a dir of plain files (a supervisor's state dir: pid and status files, a spool link):
 * readdir, unlink each, rmdir. rmSync's recursive walk tries the rmdir first and catches its
 * ENOTEMPTY, and lstats every entry; this is the same without the thrown error, once per job.
 * Anything unexpected (a subdir) falls back to rmSync.
 */
function removeFlatDir(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    for (const n of names) unlinkSync(join(dir, n));
    rmdirSync(dir);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
}
