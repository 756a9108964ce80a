/**
 * The HTTP floors, for context: the same tiny JSON answer from raw `node:http` (the ceiling of any
 * Node server here), from Hono on `@hono/node-server` (what Gatehouse runs on) and from Koa (what
 * oidc-provider runs on). `node servers/floor.mjs node|hono|koa`.
 */
import { createServer } from 'node:http';
import { announce, onStop, portOf } from './child.mjs';

const kind = process.argv[2] ?? 'node';
const BODY = JSON.stringify({ ok: true });

let server;
if (kind === 'node') {
  server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
    response.end(BODY);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
} else if (kind === 'hono') {
  const { serve } = await import('@hono/node-server');
  const { Hono } = await import('hono');
  const app = new Hono();
  app.get('/', (c) => c.json({ ok: true }));
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
} else if (kind === 'koa') {
  const { default: Koa } = await import('koa');
  const app = new Koa();
  app.use((ctx) => {
    ctx.body = { ok: true };
  });
  server = createServer(app.callback());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
} else {
  throw new Error(`unknown floor "${kind}" (node, hono or koa)`);
}

onStop(
  () =>
    new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(resolve);
    }),
);
announce(portOf(server), { kind });
