// Reads history back out of a job's files (in the persist child): output records from the raw log
// of a running job or the gzipped log of an ended one, metric samples from its JSON lines, each
// restricted to log positions in [from, upTo]. Positions only grow within a file, so reading stops
// at the first record past upTo.
import { createReadStream, type ReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { RecordParser, type LogRecord } from './logRecord.js';
import { METRICS_FILE, OUTPUT_GZ, OUTPUT_LOG } from './persistLayout.js';

/** Opens the file (resolving once it is open), or undefined when it does not exist. */
async function openStream(file: string): Promise<ReadStream | undefined> {
  const s = createReadStream(file);
  return new Promise((resolve, reject) => {
    s.once('open', () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? resolve(undefined) : reject(err)));
  });
}

/**
 * The job's output records in [from, upTo]. `running` says which file to try first; the other
 * is the fallback, because the job may end (and its raw log be removed) between the caller's
 * look and the open. An open file stays readable after its removal.
 */
export async function* readOutputRecords(jobDir: string, from: number, upTo: number, running: boolean): AsyncGenerator<LogRecord> {
  const raw = join(jobDir, OUTPUT_LOG);
  const gz = join(jobDir, OUTPUT_GZ);
  let source: NodeJS.ReadableStream | undefined;
  for (const file of running ? [raw, gz] : [gz, raw]) {
    const s = await openStream(file);
    if (!s) continue;
    source = file === gz ? s.pipe(createGunzip()) : s;
    break;
  }
  if (!source) return;
  const parser = new RecordParser();
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      for (const r of parser.push(chunk)) {
        if (r.position > upTo) return;
        if (r.position >= from) yield r;
      }
    }
  } finally {
    (source as ReadStream).destroy?.();
  }
}

/** The job's metric samples in [from, upTo], each the stored JSON line. */
export async function* readMetricLines(jobDir: string, from: number, upTo: number): AsyncGenerator<string> {
  const s = await openStream(join(jobDir, METRICS_FILE));
  if (!s) return;
  const lines = createInterface({ input: s, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line === '') continue;
      let position: number;
      try {
        position = (JSON.parse(line) as { position: number }).position;
      } catch {
        return;  // a line torn by a crash is past the checkpoint, hence past upTo
      }
      if (position > upTo) return;
      if (position >= from) yield line;
    }
  } finally {
    lines.close();
    s.destroy();
  }
}
