/**
 * The layers of `src/` (ARCHITECTURE.md): an import never runs back up them. `core` knows nothing
 * of the rest; `stores` and `ui` only `core`; `client` and `resource` those; `server` all of them;
 * `cli` everything. Inside `server`: `http`, `context.ts` and `routes.ts` at the bottom, the domain modules
 * (tokens, sessions, MFA, authorize, interaction…) above, then `steps`, then `endpoints`, then the
 * router and `createAuthorizationServer`. Type-only imports are erased and not counted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));
const PACKAGE_LAYERS: Record<string, number> = { core: 0, stores: 1, ui: 1, client: 2, resource: 2, server: 3, cli: 4 };
const SERVER_LAYERS: Record<string, number> = {
  http: 0,
  'context.ts': 0,
  'routes.ts': 0,
  steps: 2,
  endpoints: 3,
  'router.ts': 4,
  'authorization-server.ts': 4,
  'index.ts': 4,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Modules a file loads at run time (`import type` is erased: naming a type from anywhere is fine). */
function relativeImports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^(?:import|export) (?!type )[^;]*? from '(\.[^']+)'/gms)].map((match) =>
    resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')),
  );
}

/** `[layer, group]` of a file: its rank, and the folder it belongs to. */
function place(file: string): { layer: number; group: string } {
  const [top = '', second = ''] = relative(SRC, file).split('/');
  if (top !== 'server') return { layer: (PACKAGE_LAYERS[top] ?? 0) * 10, group: top };
  return { layer: 30 + (SERVER_LAYERS[second] ?? 1), group: 'server' };
}

describe('layers of src/', () => {
  const files = sourceFiles(SRC);

  it('finds the source files', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('no import runs back up the layers, and client and resource stay apart', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = place(file);
      for (const target of relativeImports(file)) {
        const to = place(target);
        const sideways = from.group !== to.group && Math.floor(from.layer / 10) === Math.floor(to.layer / 10) && from.group !== 'server';
        if (to.layer > from.layer || sideways) violations.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
