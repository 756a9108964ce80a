import { describe, expect, it } from 'vitest';
import { createAuthorizationServer } from '../../src/server/authorization-server.js';
import type { Store } from '../../src/stores/contract.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { basic, ISSUER, SECRET, startServer, type TestClient, type TestServer } from '../helpers/server.js';

const FORM = 'application/x-www-form-urlencoded';

/** Signs of internals leaking: stack frames, source paths, exception names. */
const INTERNALS = [
  /\bat \S+ \(/,
  /\bat [^"]*\.(ts|js|mjs|cjs):\d+/,
  /(\n|\\n)\s*at /,
  /\.(ts|js|mjs|cjs):\d+/,
  /file:\/\//,
  /node_modules/,
  /\/work\//,
  /\b(TypeError|RangeError|SyntaxError|URIError)\b/,
];

/** An OAuth error answered as RFC 6749 §5.2 JSON, with the given status and code, and no internals. */
async function expectCleanError(response: Response, status: number, error: string): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const text = await response.text();
  for (const pattern of INTERNALS) expect(text, `body leaks internals: ${text}`).not.toMatch(pattern);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body.error).toBe(error);
  expect(body).not.toHaveProperty('stack');
  return body;
}

async function setup(options: Parameters<typeof startServer>[0] = {}): Promise<{ server: TestServer; client: TestClient; auth: Record<string, string> }> {
  const server = await startServer(options);
  const client = await server.register();
  return { server, client, auth: { Authorization: basic(client.clientId, client.clientSecret) } };
}

function rawPost(server: TestServer, path: string, body: BodyInit | null, headers: Record<string, string>): Promise<Response> {
  return server.server.fetch(new Request(`${ISSUER}${path}`, { method: 'POST', headers, body }));
}

describe('malformed and hostile requests', () => {
  describe('methods and paths', () => {
    it.each(['GET', 'PUT', 'DELETE', 'PATCH'])('%s /token is 405 with Allow: POST and a JSON error', async (method) => {
      const { server, auth } = await setup();
      const response = await server.server.fetch(new Request(`${ISSUER}/token`, { method, headers: auth }));
      await expectCleanError(response, 405, 'invalid_request');
      expect(response.headers.get('allow')).toBe('POST');
    });

    it('POST /jwks is 405 with Allow: GET, HEAD', async () => {
      const { server } = await setup();
      const response = await server.post('/jwks', {});
      await expectCleanError(response, 405, 'invalid_request');
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    });

    it.each(['/nope', '/token/', '/TOKEN', '/.well-known/nothing'])('unknown path %s is 404 with a JSON error', async (path) => {
      const { server } = await setup();
      await expectCleanError(await server.get(path), 404, 'invalid_request');
    });

    it('marks every response nosniff and gives it a request id', async () => {
      const { server } = await setup();
      for (const response of [await server.get('/jwks'), await server.get('/nope'), await server.post('/token', {})]) {
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });

  describe('content type (RFC 6749 §3.2)', () => {
    it('refuses a JSON body with 400 invalid_request, even with valid credentials', async () => {
      const { server, auth } = await setup();
      const response = await rawPost(server, '/token', JSON.stringify({ grant_type: 'client_credentials' }), { ...auth, 'Content-Type': 'application/json' });
      await expectCleanError(response, 400, 'invalid_request');
    });

    it.each(['/token', '/introspect', '/revoke', '/device/auth'])('refuses a body without a content type at %s', async (path) => {
      const { server, auth } = await setup();
      const response = await rawPost(server, path, new TextEncoder().encode('grant_type=client_credentials&token=x'), auth);
      await expectCleanError(response, 400, 'invalid_request');
    });

    it('refuses multipart/form-data', async () => {
      const { server, auth } = await setup();
      const form = new FormData();
      form.set('grant_type', 'client_credentials');
      await expectCleanError(await rawPost(server, '/token', form, auth), 400, 'invalid_request');
    });

    it('accepts the form media type with parameters and in any case', async () => {
      const { server, auth } = await setup();
      for (const contentType of [`${FORM}; charset=UTF-8`, 'Application/X-WWW-Form-URLEncoded']) {
        const response = await rawPost(server, '/token', 'grant_type=client_credentials', { ...auth, 'Content-Type': contentType });
        expect(response.status, contentType).toBe(200);
      }
    });
  });

  describe('body size', () => {
    it('refuses a 10 KB body over a 2 KB limit with 413 invalid_request', async () => {
      const { server, auth } = await setup({ limits: { maxBodyBytes: 2048 } });
      const body = `grant_type=client_credentials&scope=${'a'.repeat(10 * 1024)}`;
      await expectCleanError(await rawPost(server, '/token', body, { ...auth, 'Content-Type': FORM }), 413, 'invalid_request');
    });

    it('refuses an oversized streamed body (no Content-Length) at every form endpoint', async () => {
      const { server, auth } = await setup({ limits: { maxBodyBytes: 2048 } });
      for (const path of ['/token', '/introspect', '/revoke', '/device/auth']) {
        const chunk = new TextEncoder().encode(`token=${'a'.repeat(1024)}`);
        let sent = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent >= 10) {
              controller.close();
              return;
            }
            sent += 1;
            controller.enqueue(chunk);
          },
        });
        const request = new Request(`${ISSUER}${path}`, {
          method: 'POST',
          headers: { ...auth, 'Content-Type': FORM },
          body: stream,
          duplex: 'half',
        } as RequestInit);
        await expectCleanError(await server.server.fetch(request), 413, 'invalid_request');
        // The server stops reading once over the limit instead of buffering everything.
        expect(sent, path).toBeLessThan(10);
      }
    });

    it('answers a body that breaks off (the client went away) with 400 and Connection: close, not as a store outage', async () => {
      const { server, auth } = await setup();
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          // What Node's request stream fails with when the client resets its connection.
          controller.error(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
        },
      });
      const request = new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': FORM, 'Content-Length': '2000' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      const response = await server.server.fetch(request);
      await expectCleanError(response, 400, 'invalid_request');
      expect(response.headers.get('connection')).toBe('close');
    });

    it('answers a declared Content-Length over the limit with Connection: close (its body is never read)', async () => {
      const { server, auth } = await setup({ limits: { maxBodyBytes: 2048 } });
      const body = `grant_type=client_credentials&scope=${'a'.repeat(4096)}`;
      const response = await rawPost(server, '/token', body, { ...auth, 'Content-Type': FORM, 'Content-Length': String(body.length) });
      await expectCleanError(response, 413, 'invalid_request');
      expect(response.headers.get('connection')).toBe('close');
    });

    it('processes a body just under the limit', async () => {
      const { server, auth } = await setup({ limits: { maxBodyBytes: 2048 } });
      const prefix = 'grant_type=client_credentials&x=';
      const body = prefix + 'a'.repeat(2048 - prefix.length);
      expect(Buffer.byteLength(body)).toBe(2048);
      expect((await rawPost(server, '/token', body, { ...auth, 'Content-Type': FORM })).status).toBe(200);
    });

    it('uses a 64 KiB limit by default', async () => {
      const { server, auth } = await setup();
      const body = `grant_type=client_credentials&x=${'a'.repeat(65 * 1024)}`;
      await expectCleanError(await rawPost(server, '/token', body, { ...auth, 'Content-Type': FORM }), 413, 'invalid_request');
    });
  });

  describe('parameters', () => {
    it.each([
      ['grant_type', 'grant_type=client_credentials&grant_type=client_credentials'],
      ['grant_type (different values)', 'grant_type=client_credentials&grant_type=password'],
      ['scope', 'grant_type=client_credentials&scope=read&scope=write'],
    ])('refuses a repeated %s at /token with 400 invalid_request (§3.2)', async (_label, body) => {
      const { server, auth } = await setup();
      const response = await rawPost(server, '/token', body, { ...auth, 'Content-Type': FORM });
      const error = await expectCleanError(response, 400, 'invalid_request');
      expect(error).not.toHaveProperty('access_token');
    });

    it('refuses a repeated client_id in client_secret_post credentials', async () => {
      const { server } = await setup();
      const client = await server.register({ authMethod: 'client_secret_post' });
      const body = `grant_type=client_credentials&client_id=${client.clientId}&client_id=other&client_secret=${client.clientSecret}`;
      await expectCleanError(await rawPost(server, '/token', body, { 'Content-Type': FORM }), 400, 'invalid_request');
    });

    it('refuses a repeated token at /introspect and /revoke', async () => {
      const { server, client, auth } = await setup();
      const token = await server.issueToken(client);
      for (const path of ['/introspect', '/revoke']) {
        await expectCleanError(await rawPost(server, path, `token=${token}&token=other`, { ...auth, 'Content-Type': FORM }), 400, 'invalid_request');
      }
      expect((await server.introspect(client, token)).active).toBe(true);
    });

    it.each([
      ['in grant_type', 'grant_type=client%ZZcredentials'],
      ['truncated in scope', 'grant_type=client_credentials&scope=%E0%A4%A'],
      ['a lone percent', 'grant_type=client_credentials&scope=%'],
      ['in a parameter name', 'grant_type=client_credentials&%zz=1&scope=%G1'],
    ])('answers malformed percent-encoding %s with a 400 OAuth error, never a token or a 500', async (_label, body) => {
      const { server, auth } = await setup();
      const response = await rawPost(server, '/token', body, { ...auth, 'Content-Type': FORM });
      expect(response.status).toBe(400);
      const json = (await response.json()) as Record<string, unknown>;
      expect(json.error).toMatch(/^(invalid_request|invalid_scope|unsupported_grant_type)$/);
      expect(json).not.toHaveProperty('access_token');
    });

    it('refuses a body that is not valid UTF-8 with 400 invalid_request', async () => {
      const { server, auth } = await setup();
      const bytes = Buffer.concat([Buffer.from('grant_type=client_credentials&scope=read'), Buffer.from([0xff, 0xfe, 0xc3, 0x28])]);
      await expectCleanError(await rawPost(server, '/token', bytes, { ...auth, 'Content-Type': FORM }), 400, 'invalid_request');
    });

    it('refuses invalid UTF-8 bytes at /introspect and /revoke too', async () => {
      const { server, auth } = await setup();
      for (const path of ['/introspect', '/revoke']) {
        const bytes = Buffer.concat([Buffer.from('token='), Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80])]);
        await expectCleanError(await rawPost(server, path, bytes, { ...auth, 'Content-Type': FORM }), 400, 'invalid_request');
      }
    });

    it('never answers 500 to a battery of odd inputs', async () => {
      const { server, client, auth } = await setup();
      const token = await server.issueToken(client);
      const bodies = [
        '',
        '&&&',
        '=',
        '==&=x',
        'grant_type',
        'grant_type=client_credentials&scope=%00',
        'grant_type=client_credentials&resource=%00',
        'grant_type=client_credentials&resource=http://[::1',
        `grant_type=client_credentials&scope=${'a '.repeat(500)}`,
        'grant_type=client_credentials&client_id=%ff%fe',
        `token=${token.split('.').reverse().join('.')}`,
        `token=${token}.extra`,
        'token=%E2%80%AE',
      ];
      const headerVariants: Record<string, string>[] = [
        auth,
        { Authorization: 'Basic' },
        { Authorization: 'Basic ====' },
        { Authorization: `Basic ${'A'.repeat(8000)}` },
        { Authorization: basic('\u0000', '\u0000') },
        { Authorization: basic('client', 'é'.repeat(100)) },
      ];
      for (const path of ['/token', '/introspect', '/revoke']) {
        for (const body of bodies) {
          for (const headers of headerVariants) {
            const response = await rawPost(server, path, body, { ...headers, 'Content-Type': FORM });
            const text = await response.text();
            expect(response.status, `${path} ${body.slice(0, 40)} -> ${text}`).toBeLessThan(500);
            for (const pattern of INTERNALS) expect(text).not.toMatch(pattern);
          }
        }
      }
    });
  });

  describe('unexpected failures', () => {
    it('answers a failing store with 500 server_error, a request id, and none of the error details', async () => {
      const store = createMemoryStore();
      const broken: Store = {
        ...store,
        clients: {
          ...store.clients,
          get: async () => {
            throw new Error('connection to db.internal:5432 refused (password=hunter2)');
          },
        },
      };
      const server = createAuthorizationServer({ issuer: ISSUER, store: broken, secret: SECRET, logger: false });
      const response = await server.fetch(
        new Request(`${ISSUER}/token`, {
          method: 'POST',
          headers: { 'Content-Type': FORM, Authorization: basic('a', 'b') },
          body: 'grant_type=client_credentials',
        }),
      );
      const body = await expectCleanError(response, 500, 'server_error');
      const text = JSON.stringify(body);
      expect(text).not.toContain('db.internal');
      expect(text).not.toContain('hunter2');
      // The id in the body lets an operator find the log line for this request.
      const requestId = response.headers.get('x-request-id');
      expect(requestId).toBeTruthy();
      expect(body.error_description).toContain(requestId);
      expect(response.headers.get('cache-control')).toBe('no-store');
    });

    it('answers 503 temporarily_unavailable while the server cannot start, without internals', async () => {
      const store = createMemoryStore();
      const broken: Store = {
        ...store,
        keys: {
          ...store.keys,
          list: async () => {
            throw new Error('relation "signing_keys" does not exist at /srv/app/db.js:12');
          },
        },
      };
      const server = createAuthorizationServer({ issuer: ISSUER, store: broken, secret: SECRET, logger: false });
      await expect(server.ready()).rejects.toThrow();
      for (const response of [await server.fetch(new Request(`${ISSUER}/jwks`)), await server.fetch(new Request(`${ISSUER}/token`, { method: 'POST' }))]) {
        const body = await expectCleanError(response, 503, 'temporarily_unavailable');
        expect(JSON.stringify(body)).not.toContain('signing_keys');
      }
    });
  });
});
