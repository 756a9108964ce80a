/**
 * The admin API's OpenAPI document against the server that serves it: the same paths and methods
 * both ways (every documented operation is answered, nothing is mounted that it does not list),
 * and real responses valid under the documented JSON Schemas (read back with `z.fromJSONSchema`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ROUTES } from '../../../src/server/routes.js';
import { startServer, type TestServer } from '../../helpers/server.js';

type Json = Record<string, unknown>;
type Document = { openapi: string; paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json> } };

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

let t: TestServer;
let token: string;
let doc: Document;

function call(method: string, path: string, body?: unknown): Promise<Response> {
  return t.server.fetch(
    new Request(`${t.issuer}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }),
  );
}

/** A documented schema with its `$ref`s to `components.schemas` inlined. */
function resolve(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(resolve);
  if (schema === null || typeof schema !== 'object') return schema;
  const { $ref, ...rest } = schema as Json;
  if (typeof $ref === 'string') return resolve(doc.components.schemas[$ref.replace('#/components/schemas/', '')]);
  return Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, resolve(value)]));
}

/** Checks a real response against what the document says `method path` answers with its status. */
async function expectDocumented(method: string, path: string, response: Response): Promise<Json> {
  const operation = doc.paths[path]?.[method.toLowerCase()] as
    { responses: Record<string, { content?: { 'application/json': { schema: unknown } } }> } | undefined;
  expect(operation, `${method} ${path} documented`).toBeDefined();
  const documented = operation!.responses[String(response.status)];
  expect(documented, `${method} ${path} documents status ${response.status}`).toBeDefined();
  const body = (await response.json()) as Json;
  const schema = z.fromJSONSchema(resolve(documented!.content!['application/json'].schema) as Parameters<typeof z.fromJSONSchema>[0]);
  const result = schema.safeParse(body);
  expect(result.success, `${method} ${path} ${response.status}: ${JSON.stringify(result.error?.issues)}`).toBe(true);
  return body;
}

beforeAll(async () => {
  t = await startServer();
  const client = await t.register({ name: 'automation', scope: 'admin' });
  token = await t.issueToken(client, { scope: 'admin' });
  const response = await call('GET', '/admin/api/v1/openapi.json');
  expect(response.status).toBe(200);
  doc = (await response.json()) as Document;
});
afterAll(async () => {
  await t.server.close();
});

describe('the OpenAPI document of the admin API', () => {
  it('is OpenAPI 3.1 with the issuer as its server and the admin scopes', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc).toMatchObject({
      servers: [{ url: t.issuer }],
      components: {
        securitySchemes: {
          gatehouse: {
            flows: { clientCredentials: { tokenUrl: `${t.issuer}/token`, scopes: { admin: expect.any(String), 'admin:read': expect.any(String) } } },
          },
        },
      },
    });
  });

  it('lists every admin route of the route table, and nothing else', () => {
    const adminRoutes = Object.values(ROUTES)
      .filter((path) => path.startsWith('/admin/api/v1/'))
      .map((path) => path.replace(/:([A-Za-z]+)/g, '{$1}'));
    expect(Object.keys(doc.paths).sort()).toEqual(adminRoutes.sort());
  });

  it('documents only operations the server answers, and the server answers only documented ones', async () => {
    for (const [path, operations] of Object.entries(doc.paths)) {
      const concrete = path.replace('{id}', 'no-such-id').replace('{consentId}', 'no-such-consent');
      for (const method of METHODS) {
        const documented = method.toLowerCase() in operations;
        const response = await call(method, concrete, method === 'PATCH' ? { disabled: true } : undefined);
        const body = response.status === 404 ? ((await response.json()) as Json) : undefined;
        if (documented) {
          // Mounted: anything but "no endpoint at this path" or "method not allowed".
          expect(response.status, `${method} ${path}`).not.toBe(405);
          expect(body?.error_description, `${method} ${path}`).not.toBe('no endpoint at this path');
        } else {
          expect(response.status, `${method} ${path} is not documented, so not mounted`).toBe(405);
        }
      }
    }
  });

  it('describes real responses: lists, records, a secret shown once, errors', async () => {
    const created = await expectDocumented(
      'POST',
      '/admin/api/v1/clients',
      await call('POST', '/admin/api/v1/clients', {
        client_name: 'Docs',
        redirect_uris: ['https://docs.example/cb'],
        logo_uri: 'https://docs.example/logo.png',
      }),
    );
    const id = created.client_id as string;
    await expectDocumented('GET', '/admin/api/v1/clients', await call('GET', '/admin/api/v1/clients?limit=5'));
    await expectDocumented('GET', '/admin/api/v1/clients/{id}', await call('GET', `/admin/api/v1/clients/${id}`));
    await expectDocumented('POST', '/admin/api/v1/clients/{id}/secret', await call('POST', `/admin/api/v1/clients/${id}/secret`));
    await expectDocumented('GET', '/admin/api/v1/clients/{id}', await call('GET', '/admin/api/v1/clients/unknown'));
    await expectDocumented('POST', '/admin/api/v1/clients', await call('POST', '/admin/api/v1/clients', { client_name: 7 }));
    const user = await expectDocumented(
      'POST',
      '/admin/api/v1/users',
      await call('POST', '/admin/api/v1/users', { username: 'dora', email: 'dora@example.com', name: 'Dora' }),
    );
    await expectDocumented('GET', '/admin/api/v1/users', await call('GET', '/admin/api/v1/users'));
    await expectDocumented('PATCH', '/admin/api/v1/users/{id}', await call('PATCH', `/admin/api/v1/users/${user.sub as string}`, { disabled: true }));
    await expectDocumented('POST', '/admin/api/v1/users/{id}/sessions/revoke', await call('POST', '/admin/api/v1/users/dora/sessions/revoke'));
    await expectDocumented('GET', '/admin/api/v1/users/{id}/sessions', await call('GET', '/admin/api/v1/users/dora/sessions'));
    await expectDocumented('GET', '/admin/api/v1/users/{id}/consents', await call('GET', '/admin/api/v1/users/dora/consents'));
    await expectDocumented('DELETE', '/admin/api/v1/users/{id}/consents/{consentId}', await call('DELETE', '/admin/api/v1/users/dora/consents/x'));
    await expectDocumented('GET', '/admin/api/v1/keys', await call('GET', '/admin/api/v1/keys'));
    await expectDocumented('POST', '/admin/api/v1/keys/rotate', await call('POST', '/admin/api/v1/keys/rotate'));
  });

  it('documents request bodies that accept what the endpoints accept', () => {
    const create = z.fromJSONSchema(resolve(doc.components.schemas.ClientCreate) as Parameters<typeof z.fromJSONSchema>[0]);
    expect(create.safeParse({ client_name: 'x', grant_types: ['client_credentials'], scope: 'admin' }).success).toBe(true);
    expect(create.safeParse({ client_name: 'x', colour: 'blue' }).success).toBe(false);
    expect(create.safeParse({}).success).toBe(false);
    // And the response schemas are not vacuous: a record missing its members, or with wrong types, fails.
    const client = z.fromJSONSchema(resolve(doc.components.schemas.Client) as Parameters<typeof z.fromJSONSchema>[0]);
    expect(client.safeParse({ client_id: 1 }).success).toBe(false);
    const error = z.fromJSONSchema(resolve(doc.components.schemas.Error) as Parameters<typeof z.fromJSONSchema>[0]);
    expect(error.safeParse({ error: 'invalid_request' }).success).toBe(false);
  });
});
