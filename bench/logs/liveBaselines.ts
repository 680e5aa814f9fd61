// Baselines for bench/logs part 2, measured in the same run with the same line writer: what the
// machine itself delivers for "N processes each printing one line every few ms", without joblet.
//   direct:  every writer into one shared pipe, read by one small C reader
//   relayed: every writer's pipe relayed by its own process (`cat`) into that shared pipe, as a
//            per-job supervisor relays a job's output (joblet's supervisors must outlive the
//            daemon, so each job has one, like containerd's shims or podman's conmon)
//   batched: the same with a relay that rests its pipe after a small read, as joblet's
//            supervisor does (joblet.outputBatch, decision 0030): the least a per-job relay costs
// The reader notes, per line, the delay from the writer's timestamp to its read.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const READER_C = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static int cmp(const void *a, const void *b) { long long x = *(const long long *)a, y = *(const long long *)b; return x < y ? -1 : x > y; }
/* reads lines "i <realtime us>" from stdin; prints "count p50_us p99_us max_us torn". A relay that
   fell behind may write more than PIPE_BUF at once, which the pipe does not keep whole: lines cut
   that way are counted as torn, not timed. */
int main(void) {
  size_t cap = 1 << 20, n = 0, torn = 0; long long *d = malloc(cap * sizeof *d); char line[128];
  while (fgets(line, sizeof line, stdin)) {
    struct timespec now; clock_gettime(CLOCK_REALTIME, &now);
    long long at = (long long)now.tv_sec * 1000000LL + now.tv_nsec / 1000;
    char *sp = strchr(line, ' ');
    long long delay = sp ? at - atoll(sp + 1) : -1;
    if (delay < 0 || delay > 600000000LL) { torn++; continue; }
    if (n == cap) d = realloc(d, (cap *= 2) * sizeof *d);
    d[n++] = delay;
  }
  if (n == 0) { printf("0 0 0 0 %zu\\n", torn); return 0; }
  qsort(d, n, sizeof *d, cmp);
  printf("%zu %lld %lld %lld %zu\\n", n, d[(n - 1) / 2], d[(size_t)((n - 1) * 0.99)], d[n - 1], torn);
  return 0;
}
`;

const RELAY_C = `
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
/* batchrelay MS: stdin to stdout; after a read of less than half a pipe buffer, rest MS first */
int main(int argc, char **argv) {
  int ms = argc > 1 ? atoi(argv[1]) : 0;
  char buf[65536];
  if (ms > 0) prctl(PR_SET_TIMERSLACK, (unsigned long)ms * 250000UL, 0, 0, 0);
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n <= 0) return 0;
    if (write(1, buf, (size_t)n) != n) return 1;
    if (ms > 0 && n < 32768) { struct timespec t = { ms / 1000, (ms % 1000) * 1000000L }; nanosleep(&t, NULL); }
  }
}
`;

export interface Spread { lines: number; p50Ms: number; p99Ms: number; maxMs: number; torn: number }

function build(dir: string, name: string, source: string): string {
  const out = join(dir, name);
  writeFileSync(`${out}.c`, source);
  const cc = spawnSync('cc', ['-O2', '-o', out, `${out}.c`], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc ${name}.c: exit ${cc.status ?? cc.signal}: ${cc.stderr}`);
  return out;
}

/** Runs `jobs` writers (the compiled linewriter) directly, relayed, and relayed in batches of batchMs; returns the spreads. */
export function liveBaselines(dir: string, writer: string, o: { jobs: number; lines: number; everyMs: number; batchMs: number }): { direct: Spread; relayed: Spread; batched: Spread } {
  const reader = build(dir, 'linereader', READER_C);
  const relay = build(dir, 'batchrelay', RELAY_C);
  const run = (name: string, through: string): Spread => {
    // forking the writers takes a while at 1,000: start them all well before their first line
    const start = Date.now() + 2000 + o.jobs * 4;
    const one = `${writer} ${start} ${o.lines} ${o.everyMs}`;
    const script = `i=0; while [ $i -lt ${o.jobs} ]; do ${through ? `(${one} | ${through}) &` : `${one} &`} i=$((i+1)); done; wait`;
    const r = spawnSync('sh', ['-c', `(${script}) | ${reader}`], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`live baseline (${name}): exit ${r.status ?? r.signal}: ${r.stderr}`);
    const [lines, p50, p99, max, torn] = r.stdout.trim().split(' ').map(Number);
    return { lines, p50Ms: p50 / 1000, p99Ms: p99 / 1000, maxMs: max / 1000, torn };
  };
  return { direct: run('direct', ''), relayed: run('relayed', 'cat'), batched: run('batched', `${relay} ${o.batchMs}`) };
}

export const describeSpread = (s: Spread) => `p50 ${s.p50Ms.toFixed(1)} ms, p99 ${s.p99Ms.toFixed(1)} ms, max ${s.maxMs.toFixed(1)} ms (${s.lines} lines${s.torn ? `, ${s.torn} torn by writes over PIPE_BUF` : ''})`;
