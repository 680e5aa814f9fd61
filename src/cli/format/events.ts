// Output of `rnx events`: one line per event, or one JSON object per line with --json (JSON lines,
// so `rnx events --follow --json | jq` works while following). The text line has the layout of
// formatEventLine in src/events/eventSummary.ts (`joblet replay` prints it), built here from the
// wire fields because the CLI talks only gRPC; src/cli/format/events.test.ts holds the two equal.
import type { Event__Output } from '../../gen/joblet/events/v1/Event.js';

/** Job ids shortened to 8 characters: unique in practice, and what `rnx job status` accepts. */
const JOB_WIDTH = 8;
const TYPE_WIDTH = 16;

/** `cn/role`, or `-` for events the daemon wrote itself. */
export function callerLabel(e: Event__Output): string {
  return e.caller ? `${e.caller.cn || '?'}/${e.caller.role}` : '-';
}

export function formatEventLine(e: Event__Output): string {
  const job = e.job_id ? e.job_id.slice(0, JOB_WIDTH) : '-';
  return [e.time || e.unix_ms, `#${e.position}`, e.type.padEnd(TYPE_WIDTH), job.padEnd(JOB_WIDTH), callerLabel(e), e.summary].join('  ') + '\n';
}

/**
 * The event as one JSON object: the wire's snake_case names, numbers as numbers (the wire sends
 * 64-bit ones as strings), the typed payload under its own name, output bytes (if sent) as base64.
 */
export function eventJson(e: Event__Output): Record<string, unknown> {
  const out: Record<string, unknown> = {
    position: Number(e.position), time: e.time, unix_ms: Number(e.unix_ms), type: e.type,
    job_id: e.job_id || null, node_id: e.node_id, caller: e.caller ? withoutEmpty(e.caller) : null,
    hash: e.hash || null, summary: e.summary,
  };
  if (e.payload) out[e.payload] = payloadJson(e);
  return out;
}

export function formatEventJson(e: Event__Output): string {
  return `${JSON.stringify(eventJson(e))}\n`;
}

function payloadJson(e: Event__Output): unknown {
  switch (e.payload) {
    case 'submitted': {
      const s = e.submitted!;
      const limits = s.limits ? { ...s.limits, max_io_bps: Number(s.limits.max_io_bps), timeout_ms: Number(s.limits.timeout_ms) } : null;
      return { ...s, limits, uploads: s.uploads.map((u) => ({ ...u, size: Number(u.size) })) };
    }
    case 'output': {
      const o = e.output!;
      return { stream: o.stream, byte_count: Number(o.byte_count), ...(o.compacted ? { compacted: true } : {}), ...(o.data.length > 0 ? { data_base64: Buffer.from(o.data).toString('base64') } : {}) };
    }
    case 'metrics': {
      const m = e.metrics!;
      return {
        cpu_percent: m.cpu_percent, memory_bytes: Number(m.memory_bytes), memory_limit_bytes: Number(m.memory_limit_bytes),
        memory_peak_bytes: Number(m.memory_peak_bytes), io_read_bytes: Number(m.io_read_bytes), io_write_bytes: Number(m.io_write_bytes), pids: m.pids,
        ...(m.has_network ? { net_recv_bytes: Number(m.net_recv_bytes), net_sent_bytes: Number(m.net_sent_bytes) } : {}),
      };
    }
    case 'imported': {
      const i = e.imported!;
      return { ...i, source_epoch: Number(i.source_epoch), source_position: Number(i.source_position) };
    }
    case undefined: return null;
    default: return e[e.payload];
  }
}

function withoutEmpty(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && v !== undefined && v !== null));
}
