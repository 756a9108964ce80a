// Rewrites the settings tables of docs/configuration.md (between their GENERATED markers) and
// .env.example from the settings schema (src/server/config/schema.ts), as compiled to dist/.
// Run it as `npm run docs:config`, which builds first. src/cli/config-docs.test.ts fails while the
// files differ from what this writes.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { configurationDoc, envExample } = await import(new URL('../dist/cli/config-docs.js', import.meta.url).href);

const doc = `${root}docs/configuration.md`;
const env = `${root}.env.example`;
const written = [];
for (const [file, next] of [
  [doc, configurationDoc(readFileSync(doc, 'utf8'))],
  [env, envExample()],
]) {
  if (readFileSync(file, 'utf8') === next) continue;
  writeFileSync(file, next);
  written.push(file.slice(root.length));
}
process.stdout.write(written.length > 0 ? `updated ${written.join(', ')}\n` : 'docs/configuration.md and .env.example are up to date\n');
