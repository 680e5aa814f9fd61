// Small text helpers shared by the output blocks: times, durations, command lines, plain tables.

const pad2 = (n: number) => String(n).padStart(2, '0');

/** An RFC 3339 time as local `YYYY-MM-DD HH:MM:SS`; empty or unreadable input gives `-`. */
export function displayTime(rfc3339: string | undefined): string {
  if (!rfc3339) return '-';
  const t = Date.parse(rfc3339);
  if (Number.isNaN(t)) return rfc3339;
  const d = new Date(t);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Milliseconds as `850ms`, `12.3s`, `4m5s`, `2h3m4s`. */
export function displayDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 3 : 1).replace(/\.?0+$/, '')}s`;
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${m}m${s % 60}s` : `${m}m${s % 60}s`;
}

/** The command line as the parsed `Command:` line shows it: command and args joined by spaces. */
export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args].join(' ');
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/** Left-aligned columns two spaces apart, no borders: easy to read and to split in scripts. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** JSON for stdout: two-space indent, trailing newline. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
