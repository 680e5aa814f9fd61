// The product version, read once from package.json (the single place it is written).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkgPath = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../package.json' : '../package.json', import.meta.url));
export const VERSION: string = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
