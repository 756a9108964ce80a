import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { httpMetrics, methodLabel } from '../../../src/server/observability/http-metrics.js';
import { createMetrics, UNMATCHED_ROUTE, type Metrics } from '../../../src/server/observability/metrics.js';

/**
 * An app shaped like `src/server/router.ts`: a request-id middleware, per path a handler per
 * method (GET also answering HEAD), a 405 catch-all that throws, CORS middleware and preflight on
 * some paths, and JSON 404/500 handlers.
 */
function routerLike(metrics: Metrics): Hono {
  const app = new Hono();
  app.use(httpMetrics(metrics));
  app.use(async (c, next) => {
    await next();
    c.res.headers.set('X-Request-Id', 'req-1');
  });
  const route = (path: string, methods: ('GET' | 'POST')[], cors = false) => {
    if (cors) {
      app.options(path, () => new Response(null, { status: 204 }));
      app.use(path, async (c, next) => {
        await next();
        c.res.headers.set('Access-Control-Allow-Origin', '*');
      });
    }
    for (const method of methods) {
      const handler = () => (path.endsWith('/boom') ? Promise.reject(new Error('boom')) : new Response('ok'));
      app.on(method, path, handler);
      if (method === 'GET') app.on('HEAD', path, handler);
    }
    app.all(path, () => {
      throw Object.assign(new Error('method not allowed'), { status: 405 });
    });
  };
  route('/token', ['POST'], true);
  route('/interaction/:id', ['GET']);
  route('/interaction/:id/login', ['POST']);
  route('/upstream/:upstream/callback', ['GET', 'POST']);
  route('/interaction/:id/boom', ['GET']);
  app.notFound(() => Response.json({ error: 'invalid_request' }, { status: 404 }));
  app.onError((error) => Response.json({ error: 'x' }, { status: (error as { status?: number }).status ?? 500 }));
  return app;
}

async function requests(metrics: Metrics): Promise<{ route: string; method: string; status: string; value: number }[]> {
  const { values } = await metrics.httpRequests.get();
  return values.map(({ labels, value }) => ({ route: String(labels.route), method: String(labels.method), status: String(labels.status), value }));
}

describe('httpMetrics', () => {
  it('labels requests with the route pattern, never the raw path', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const app = routerLike(metrics);
    for (const id of ['a1', 'b2', 'c3']) {
      expect((await app.request(`/interaction/${id}`)).status).toBe(200);
      await app.request(`/interaction/${id}/login`, { method: 'POST' });
    }
    await app.request('/upstream/github/callback');
    await app.request('/upstream/google/callback');

    expect(await requests(metrics)).toEqual(
      expect.arrayContaining([
        { route: '/interaction/:id', method: 'GET', status: '200', value: 3 },
        { route: '/interaction/:id/login', method: 'POST', status: '200', value: 3 },
        { route: '/upstream/:upstream/callback', method: 'GET', status: '200', value: 2 },
      ]),
    );
    const text = await metrics.registry.metrics();
    for (const raw of ['a1', 'b2', 'c3', 'github', 'google']) expect(text).not.toContain(raw);
    expect(text).toContain('gatehouse_http_request_duration_seconds_count{route="/interaction/:id",method="GET"} 3');
  });

  it('records the status actually answered: 405 catch-all, onError 500, CORS preflight, HEAD', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const app = routerLike(metrics);
    expect((await app.request('/token', { method: 'POST' })).status).toBe(200);
    expect((await app.request('/token')).status).toBe(405);
    expect((await app.request('/token', { method: 'OPTIONS' })).status).toBe(204);
    expect((await app.request('/interaction/x/boom')).status).toBe(500);
    expect((await app.request('/interaction/x', { method: 'HEAD' })).status).toBe(200);

    expect(await requests(metrics)).toEqual(
      expect.arrayContaining([
        { route: '/token', method: 'POST', status: '200', value: 1 },
        { route: '/token', method: 'GET', status: '405', value: 1 },
        { route: '/token', method: 'OPTIONS', status: '204', value: 1 },
        { route: '/interaction/:id/boom', method: 'GET', status: '500', value: 1 },
        { route: '/interaction/:id', method: 'HEAD', status: '200', value: 1 },
      ]),
    );
  });

  it('puts every unmatched path and unknown method in one bucket each', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const app = routerLike(metrics);
    for (const path of ['/wp-admin', '/.env', '/a/b/c/d', '/interaction']) expect((await app.request(path)).status).toBe(404);
    await app.request('/interaction/x', { method: 'PROPFIND' });

    const recorded = await requests(metrics);
    expect(recorded).toEqual(
      expect.arrayContaining([
        { route: UNMATCHED_ROUTE, method: 'GET', status: '404', value: 4 },
        { route: '/interaction/:id', method: 'OTHER', status: '405', value: 1 },
      ]),
    );
    expect(recorded).toHaveLength(2);
  });

  it('observes durations in seconds', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const app = new Hono();
    app.use(httpMetrics(metrics));
    app.get('/slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return new Response('ok');
    });
    await app.request('/slow');
    const { values } = await metrics.httpDuration.get();
    const sum = values.find((value) => value.metricName?.endsWith('_sum'))?.value ?? 0;
    expect(sum).toBeGreaterThanOrEqual(0.025);
    expect(sum).toBeLessThan(5);
  });

  it('normalises methods to a closed set', () => {
    expect(methodLabel('get')).toBe('GET');
    expect(methodLabel('DELETE')).toBe('DELETE');
    expect(methodLabel('BREW')).toBe('OTHER');
  });
});
