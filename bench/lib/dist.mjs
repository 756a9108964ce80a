/**
 * Where the compiled Gatehouse is: `dist/` of this checkout (what `npm run bench` builds first), or
 * `GATEHOUSE_DIST` to benchmark another build of it (e.g. a clean checkout of some commit).
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const DIST = resolve(process.env.GATEHOUSE_DIST ?? resolve(ROOT, 'dist'));

/** Imports a compiled module, e.g. `gatehouse('server/index.js')`. */
export function gatehouse(path) {
  return import(pathToFileURL(resolve(DIST, path)).href);
}
