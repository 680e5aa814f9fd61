// One resource sample of a running job's cgroup, as the executor measured it (metricsSampler.ts).
// Samples are facts like output: they change no job state (evolve leaves the job as it is), so the
// job table and the State replicator skip them; StreamJobMetrics / GetJobMetrics and the persist
// service's metric files read them from the log.

export interface MetricsSample {
  /** percent of one core over the time since the previous sample (100 = one full core) */
  cpuPercent: number;
  memoryBytes: number;
  /** 0 = no limit */
  memoryLimitBytes: number;
  /** the cgroup's high-water mark so far (0 where the kernel keeps none) */
  memoryPeakBytes: number;
  ioReadBytes: number;
  ioWriteBytes: number;
  pids: number;
  /** bytes through the job's own network namespace, loopback excluded (docs/decisions); absent without one */
  netRecvBytes?: number;
  netSentBytes?: number;
}

export interface JobMetricsSampled {
  type: 'JobMetricsSampled';
  jobId: string;
  /** Unix ms the sample was taken */
  at: number;
  sample: MetricsSample;
}
