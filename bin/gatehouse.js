#!/usr/bin/env node
// The gatehouse command. The implementation is compiled to dist/ by `npm run build`.
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    process.stderr.write('gatehouse: not built yet; run "npm run build" first\n');
    process.exit(1);
  }
  // The command needs gatehouse's optional dependencies (drivers, argon2, ...), which npm installs
  // unless told not to (--omit=optional): say which one is missing, in one line.
  if (error?.code === 'ERR_MISSING_DEPENDENCY') {
    process.stderr.write(`gatehouse: ${error.message}\n`);
    process.exit(1);
  }
  const missing = error?.code === 'ERR_MODULE_NOT_FOUND' && /Cannot find package '([^']+)'/.exec(String(error.message))?.[1];
  if (missing) {
    process.stderr.write(
      `gatehouse: the command needs the package "${missing}", which is not installed ` +
        `(an optional dependency of gatehouse, left out by "npm install --omit=optional" or when its install failed). ` +
        `Install it: npm install ${missing} (or all of them: npm install --include=optional)\n`,
    );
    process.exit(1);
  }
  throw error;
}
process.exitCode = await cli.main(process.argv.slice(2));
