// Child process for compaction.test.ts: compacts a log in small chunks, printing the checkpoint
// after each one, until the parent SIGKILLs it.
import { outputLog } from '../support/outputLog.js';

const store = outputLog(process.argv[2]);
for (;;) {
  const r = await store.compactOutput(store.lastPosition, { maxEvents: 4, chunkEvents: 4 });
  process.stdout.write(`${r.through}\n`);
  if (r.examined === 0) break;
}
await store.close();
