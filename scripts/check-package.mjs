// `npm run check:package` (after the build): packs the package as `npm publish` would, then lints
// that one tarball with publint (warnings are errors) and @arethetypeswrong/cli. attw runs with the
// esm-only profile: the package is ESM only, on purpose, so CommonJS resolution is not checked;
// every subpath export must still resolve with its types under node16 (ESM) and bundler resolution.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shell = process.platform === 'win32';
// The devDependencies' commands, also when this file is run without `npm run`.
const env = { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}${delimiter}${process.env.PATH ?? ''}` };

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit', shell, ...options });
  if (result.status !== 0) {
    console.error(`check:package: ${command} ${args.join(' ')} failed${result.error ? `: ${result.error.message}` : ''}`);
    process.exit(result.status ?? 1);
  }
  return result;
}

// The build writes over dist/ but never removes from it: output of a source file since moved or
// deleted would be published too.
const dist = join(root, 'dist');
const stale = readdirSync(dist, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => relative(dist, join(entry.parentPath, entry.name)))
  // A file copied as it is (scripts/copy-assets.mjs: Lua scripts, the browser's pow.js) has its source under the same name.
  .filter((file) => !existsSync(join(root, 'src', file)) && !existsSync(join(root, 'src', file.replace(/(\.d)?\.ts\.map$|\.d\.ts$|\.js\.map$|\.js$/, '.ts'))));
if (stale.length > 0) {
  console.error(
    `check:package: dist/ has output with no source in src/ (${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', ...' : ''}); remove dist/ and build again`,
  );
  process.exit(1);
}

const out = mkdtempSync(join(tmpdir(), 'gatehouse-pack-'));
try {
  const packed = run('npm', ['pack', '--json', '--pack-destination', out], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [{ filename, entryCount }] = JSON.parse(packed.stdout.toString());
  const tarball = join(out, filename);
  console.log(`packed ${filename} (${entryCount} files)`);
  run('publint', ['run', tarball, '--strict']);
  run('attw', [tarball, '--profile', 'esm-only']);
} finally {
  rmSync(out, { recursive: true, force: true });
}
