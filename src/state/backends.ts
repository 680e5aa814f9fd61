// Picks the backend named by state.backend. The heavy clients (ioredis, the AWS SDK) are loaded
// only when chosen, so a node on `memory` or `local` never pays for them.
import { join } from 'node:path';
import type { StateBackend, StateSettings } from './backend.js';
import { MemoryBackend } from './memoryBackend.js';
import { LocalBackend } from './localBackend.js';

/** DATA_DIR/state: where the `local` backend keeps its file. */
export const stateDir = (dataDir: string): string => join(dataDir, 'state');

export async function createBackend(settings: StateSettings, dataDir: string): Promise<StateBackend> {
  switch (settings.backend) {
    case 'memory':
      return new MemoryBackend();
    case 'local':
      return new LocalBackend(stateDir(dataDir));
    case 'redis': {
      const { RedisBackend } = await import('./redisBackend.js');
      return new RedisBackend(settings.redis);
    }
    case 'dynamodb': {
      const { DynamoBackend } = await import('./dynamoBackend.js');
      return new DynamoBackend(settings.dynamodb);
    }
    default: {
      const unknown: never = settings.backend;
      throw new Error(`state.backend: unknown backend ${String(unknown)} (use memory, local, redis or dynamodb)`);
    }
  }
}
