// Child process for crash.test.ts: appends forever from several concurrent callers and prints
// "position:n" for every acknowledged event, until the parent SIGKILLs it.
import { EventStore } from '../../../src/persist/eventStore.js';
import type { TestEvent } from './tempStore.js';

const store = EventStore.open<TestEvent>({ path: process.argv[2] });
let counter = 0;

async function appender(jobId: string): Promise<never> {
  for (;;) {
    const events: TestEvent[] = Array.from({ length: 1 + (counter % 5) }, () => ({ type: 'Ticked', n: counter++, jobId }));
    const positions = await store.append(events);
    process.stdout.write(positions.map((p, i) => `${p}:${events[i].n}`).join('\n') + '\n');
  }
}

for (let i = 0; i < 8; i++) void appender(`job-${i}`);
