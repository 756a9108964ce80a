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
  throw error;
}
process.exitCode = await cli.main(process.argv.slice(2));
