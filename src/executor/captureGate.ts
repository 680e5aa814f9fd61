// Backpressure from the persist service to output capture (docs/decisions/0023).
//
// Capture (src/executor/jobTail.ts) reads a job's spool ahead of the log within its own bounds;
// the persist service then takes each output event from the daemon's append hook and sends it to
// its child. When capture outruns the child, the feed used to fall back to re-reading the log from
// LMDB, and the log kept the unpersisted output (it cannot be compacted until persist has it): a
// job printing 1 GiB grew the daemon by ~600 MiB of mapped log pages and ~180 MiB of buffers. A
// gate lets the persist service hold capture back while its child is healthy and has too much
// outstanding, so a flood runs at the pace of both stores and the log stays near its compacted tip.
//
// A gate only ever delays a read: it never drops output, and a persist service that is not
// feeding (its child failed, restarts, is stuck or is catching up from the log) keeps its gate
// open, so jobs keep running while the persist dir is full, as before.
//
// Process-wide (like capture's own in-flight total): the executor reaches it without knowing the
// persist service, whose gate the daemon adds (src/daemon.ts). Several daemons in one process
// (tests) each add their own gate; capture waits while any of them is closed.

/**
 * Answers whether capture may read `bytes` more now, with `captureInFlight` bytes already read
 * and not yet durable: undefined when it may, else a promise that settles when it may ask again.
 */
export type CaptureGate = (bytes: number, captureInFlight: number) => Promise<void> | undefined;

const gates = new Set<CaptureGate>();

/** Adds a gate; the returned function removes it. */
export function addCaptureGate(gate: CaptureGate): () => void {
  gates.add(gate);
  return () => { gates.delete(gate); };
}

/** undefined when every gate is open for a read of `bytes`, else a wait on the first closed one. */
export function captureWait(bytes: number, captureInFlight: number): Promise<void> | undefined {
  for (const gate of gates) {
    const wait = gate(bytes, captureInFlight);
    if (wait) return wait;
  }
  return undefined;
}
