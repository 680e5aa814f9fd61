// Where node-gyp puts the launcher: build/Release/joblet-launcher under the package root.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAUNCHER_RELATIVE_PATH = join('build', 'Release', 'joblet-launcher');

/**
 * The package root is the nearest directory above this module with a package.json; that works
 * both from src/executor (ts sources) and dist/src/executor (compiled), which has none.
 */
export function defaultLauncherPath(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, LAUNCHER_RELATIVE_PATH);
    if (dirname(dir) === dir) throw new Error(`joblet launcher: no package.json above ${from} (pass launcherPath to createNativeExecutor)`);
  }
}
