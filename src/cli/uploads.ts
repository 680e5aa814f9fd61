// --upload / --upload-dir: local files and trees turned into FileUpload entries whose paths are
// relative to the job's work dir (`--upload ./data/` sends `data`, `data/a.txt`, ...), modes kept.
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import type { FileUpload } from '../gen/joblet/FileUpload.js';
import { CliError } from './errors.js';

export interface UploadPlan {
  uploads: FileUpload[];
  files: number;
  bytes: number;
}

/** Called after each file is read, so a caller can draw progress. */
export type OnRead = (bytes: number) => void;

const inside = (root: string, p: string) => p === root || p.startsWith(root + sep);

// The wire has no symlink type, so a link is sent as a copy of what it points to. A link that
// leaves the uploaded tree is refused: following it would send files the user did not name
// (think `secrets -> ~/.ssh`), and the server rejects escaping paths anyway (spec "uploads").
async function walk(flag: string, root: string, dir: string, rel: string, out: FileUpload[], onRead: OnRead, chain: Set<string>): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const abs = join(dir, e.name);
    const relPath = `${rel}/${e.name}`;
    let real = abs;
    if (e.isSymbolicLink()) {
      real = await realpath(abs).catch(() => {
        throw new CliError(`${flag} ${root}: symlink ${abs} is dangling; remove it or upload its target`);
      });
      if (!inside(root, real)) throw new CliError(`${flag} ${root}: symlink ${abs} points outside the uploaded tree (${real}); copy the file in or upload it separately`);
    }
    const st = await stat(real);
    if (st.isDirectory()) {
      // A link to an enclosing directory would recurse forever.
      if (chain.has(real)) throw new CliError(`${flag} ${root}: symlink ${abs} loops back to ${real}; remove it`);
      out.push({ path: relPath, content: Buffer.alloc(0), mode: st.mode & 0o7777, is_directory: true });
      await walk(flag, root, real, relPath, out, onRead, new Set([...chain, real]));
    } else if (st.isFile()) {
      const content = await readFile(real);
      out.push({ path: relPath, content, mode: st.mode & 0o7777, is_directory: false });
      onRead(content.length);
    } else {
      throw new CliError(`${flag} ${root}: ${abs} is not a regular file or directory; only files and directories can be uploaded`);
    }
  }
}

/** Total size of what `paths` would upload, for deciding whether to draw a progress bar. */
export async function uploadSize(paths: string[], cwd: string): Promise<number> {
  let total = 0;
  const visit = async (p: string, depth: number): Promise<void> => {
    const st = await stat(p).catch(() => undefined);
    if (!st) return;
    if (st.isFile()) total += st.size;
    else if (st.isDirectory() && depth < 64) for (const n of await readdir(p)) await visit(join(p, n), depth + 1);
  };
  for (const p of paths) await visit(resolve(cwd, p), 0);
  return total;
}

/** Reads every --upload path (flag names the option for messages). */
export async function collectUploads(items: { flag: string; path: string }[], cwd: string, onRead: OnRead = () => {}): Promise<UploadPlan> {
  const uploads: FileUpload[] = [];
  for (const { flag, path } of items) {
    const abs = resolve(cwd, path);
    const st = await lstat(abs).catch(() => {
      throw new CliError(`${flag} ${path}: no such file or directory`);
    });
    // A path the user named explicitly is followed even if it is a link: they chose it.
    const real = st.isSymbolicLink() ? await realpath(abs).catch(() => { throw new CliError(`${flag} ${path}: dangling symlink`); }) : abs;
    const target = await stat(real);
    const name = basename(abs);
    if (name === '' || name === '.' || name === '..' || abs === '/') {
      throw new CliError(`${flag} ${path}: cannot tell what to name it in the job; upload a named file or directory`);
    }
    if (target.isDirectory()) {
      uploads.push({ path: name, content: Buffer.alloc(0), mode: target.mode & 0o7777, is_directory: true });
      await walk(flag, real, real, name, uploads, onRead, new Set([real]));
    } else if (target.isFile()) {
      const content = await readFile(real);
      uploads.push({ path: name, content, mode: target.mode & 0o7777, is_directory: false });
      onRead(content.length);
    } else {
      throw new CliError(`${flag} ${path}: not a regular file or directory`);
    }
  }
  const seen = new Set<string>();
  for (const u of uploads) {
    if (seen.has(u.path!)) throw new CliError(`--upload: two uploads are both named ${u.path} in the job; rename one`);
    seen.add(u.path!);
  }
  const files = uploads.filter((u) => !u.is_directory);
  return { uploads, files: files.length, bytes: files.reduce((n, u) => n + (u.content as Buffer).length, 0) };
}
