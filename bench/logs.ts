// Output capture (issue 4, "Benchmark"), in one run on this machine:
//   1. one job writing 1 GiB to stdout as fast as it can (`head -c 1073741824 /dev/zero`), next to
//      the same writer into a pipe read by `cat > /dev/null`, into a file, and into a file then
//      fsynced (baselines, same run). "Captured" = RunJob sent until GetJobStatus says COMPLETED:
//      the daemon records the exit only after the JobOutputWritten events of every byte are
//      committed and fsynced in the event log, so that is when the whole output is durably stored.
//      The daemon runs with the node flags `npm start` uses (bench/daemonClient.ts DAEMON_NODE_FLAGS).
//      Then `rnx job log` (the real CLI, in its own process) reads it all to /dev/null. The daemon
//      runs in its own process; its VmHWM, RssAnon and RssFile come from /proc/<pid>/status.
//   2. LIVE_JOBS concurrent jobs each printing one line per LIVE_EVERY_MS ms for LIVE_LINES lines,
//      each line carrying the writer's CLOCK_REALTIME; one GetJobLogs follower per job checks that
//      every line arrives once, in order, and measures the delay from write to reader.
// Usage: node dist/bench/logs.js   (needs root, cc)
//   LOGS_BYTES=1073741824 (0 skips part 1); LOGS_READ=0 skips the rnx job log read; LOGS_CONFIG_YAML
//   is appended to the daemon's config (e.g. "storage:\n  compactEveryBytes: 16777216\n");
//   LIVE_JOBS=1000 (0 skips part 2) LIVE_LINES=300 LIVE_EVERY_MS=10; LIVE_BATCH_MS the batched
//   relay baseline's rest (default: the daemon's joblet.outputBatch default); BENCH_DAEMON_FLAGS
//   extra node flags for the daemon, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { procCpuMs, procMemory, type Memory } from './daemonClient.js';
import { spawnConfiguredDaemon, type ConfiguredDaemon } from './logs/daemon.js';
import { liveLines } from './logs/live.js';
import { fmt } from './common.js';

const BYTES = Number(process.env.LOGS_BYTES ?? 2 ** 30);
const WRITER = `head -c ${BYTES} /dev/zero`;
const RNX = fileURLToPath(new URL('../../bin/rnx.js', import.meta.url));
const MB = 1e6;

/** Wall seconds of `sh -c script`; throws unless it exits 0. */
function timeShell(script: string): number {
  const t0 = performance.now();
  const r = spawnSync('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sh -c ${script}: exit ${r.status ?? r.signal}: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

const rate = (bytes: number, s: number) => bytes / s / MB;
const line = (what: string, s: number, base?: number) =>
  console.log(`${what.padEnd(58)} ${s.toFixed(2).padStart(7)} s ${rate(BYTES, s).toFixed(0).padStart(6)} MB/s${base ? `  ${(base / s).toFixed(2)}× pipe` : ''}`);

async function oneBigWriter(dir: string, d: ConfiguredDaemon): Promise<void> {
  const file = join(dir, 'baseline.out');
  const pipe = timeShell(`${WRITER} | cat > /dev/null`);
  const toFile = timeShell(`${WRITER} > ${file}`);
  rmSync(file);
  const toDisk = timeShell(`${WRITER} > ${file} && sync ${file}`);
  rmSync(file);
  console.log(`1. one job writing ${fmt(BYTES)} bytes: ${WRITER}`);
  line('baseline: into a pipe read by cat > /dev/null', pipe);
  line('baseline: into a file (page cache)', toFile, pipe);
  line('baseline: into a file, then fsync', toDisk, pipe);

  const jobs = d.client();
  // one small job first, so launch paths are warm and the RSS baseline is the daemon's steady state
  await d.runToCompletion(jobs, 'echo', ['warm']);
  const m0 = d.memory();
  const cpu0 = procCpuMs(d.pid);
  let peak: Memory = m0;
  const t0 = performance.now();
  const { jobId, status } = await d.runToCompletion(jobs, 'sh', ['-c', WRITER], () => {
    const m = d.memory();
    if (m.anonMb > peak.anonMb) peak = m;
  });
  const captured = (performance.now() - t0) / 1000;
  const cpu = (procCpuMs(d.pid) - cpu0) / 1000;
  const m1 = d.memory();
  if (status.status !== 'COMPLETED') throw new Error(`the 1 GiB job ended ${status.status} (exit ${status.exit_code})`);
  line('joblet: RunJob until COMPLETED (all output durable)', captured, pipe);
  const ratio = pipe / captured;
  console.log(`  capture target ≥ 300 MB/s and ≥ 0.3× pipe: ${rate(BYTES, captured) >= 300 && ratio >= 0.3 ? 'met' : 'MISSED'}` +
    `; daemon CPU ${cpu.toFixed(2)} s (${(cpu / captured * 100).toFixed(0)}% of one core)`);

  const logPages = eventLogPagesMb(d.pid);
  const mb = (x: number) => `${x.toFixed(0)} MiB`;
  if (process.env.LOGS_READ !== '0') {
    const devNull = openSync('/dev/null', 'w');
    const r0 = performance.now();
    const r = spawnSync(process.execPath, [RNX, '--config', d.rnxConfig, 'job', 'log', jobId], { stdio: ['ignore', devNull, 'pipe'], encoding: 'utf8' });
    const read = (performance.now() - r0) / 1000;
    closeSync(devNull);
    if (r.status !== 0) throw new Error(`rnx job log: exit ${r.status ?? r.signal}: ${r.stderr}`);
    line('rnx job log <id> > /dev/null (history, real CLI)', read, pipe);
  }
  const m2 = d.memory();
  console.log(`  daemon memory before the job: rss ${mb(m0.rssMb)} (anon ${mb(m0.anonMb)}, file ${mb(m0.fileMb)})`);
  console.log(`  during capture: peak anon ${mb(peak.anonMb)} (+${mb(peak.anonMb - m0.anonMb)}); after: rss ${mb(m1.rssMb)}, file ${mb(m1.fileMb)} (of which event log pages ${mb(logPages)})`);
  console.log(`  after rnx job log: rss ${mb(m2.rssMb)} (anon ${mb(m2.anonMb)}, file ${mb(m2.fileMb)}); VmHWM ${mb(m2.hwmMb)}`);
  const growth = m1.hwmMb - m0.rssMb;
  console.log(`  daemon RSS growth during capture (VmHWM after − RSS before): ${mb(growth)}; target ≤ 100 MiB: ${growth <= 100 ? 'met' : 'MISSED'}` +
    ` (anon growth ${mb(peak.anonMb - m0.anonMb)}; file pages are the mmap'd event log, reclaimable page cache)`);
}

/** Resident pages of the daemon's mappings of its event log (events.mdb), from /proc/<pid>/smaps. */
function eventLogPagesMb(pid: number): number {
  let kb = 0;
  let inLog = false;
  for (const l of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(l)) inLog = l.endsWith('.mdb');
    else if (inLog && l.startsWith('Rss:')) kb += Number(l.split(/\s+/)[1]);
  }
  return kb / 1024;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/logs needs root (jobs run in namespaces)');
  const dir = mkdtempSync(join(tmpdir(), 'joblet-bench-logs-'));
  const liveJobs = Number(process.env.LIVE_JOBS ?? 1000);
  const d = await spawnConfiguredDaemon(
    `joblet:\n  maxConcurrentJobs: ${liveJobs + 100}\n  maxOutputBytes: ${Math.max(2 * BYTES, 2 ** 30)}\nlogging:\n  level: info\n${process.env.LOGS_CONFIG_YAML ?? ''}`,
    (process.env.BENCH_DAEMON_FLAGS ?? '').split(' ').filter(Boolean));
  try {
    if (BYTES > 0) await oneBigWriter(dir, d);
    console.log();
    if (liveJobs > 0) await liveLines(d, dir, { jobs: liveJobs, lines: Number(process.env.LIVE_LINES ?? 300), everyMs: Number(process.env.LIVE_EVERY_MS ?? 10) });
  } finally {
    await d.stop();
    d.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
