/**
 * The plumbing every fake provider shares: a `node:http` server on 127.0.0.1 (random port) that
 * hands each request to a `fetch`-style handler, and a log of the requests it received so that
 * tests can assert what the client sent (headers, form fields, JSON bodies).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake received it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: Headers;
  /** The raw body (`''` when there was none). */
  body: string;
  /** The body as a form, when it was `application/x-www-form-urlencoded`. */
  form: URLSearchParams | undefined;
  /** The body parsed as JSON, when it was `application/json`. */
  json: unknown;
}

export interface FakeHttpServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  baseUrl: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type FakeHandler = (request: RecordedRequest, baseUrl: string) => Promise<Response> | Response;

/** Starts a server on a random loopback port that answers every request with `handler`. */
export async function startFakeHttpServer(handler: FakeHandler): Promise<FakeHttpServer> {
  const requests: RecordedRequest[] = [];
  let baseUrl = '';
  const server: Server = createServer((incoming, outgoing) => {
    void (async () => {
      let response: Response;
      try {
        const recorded = await record(incoming, baseUrl);
        requests.push(recorded);
        response = await handler(recorded, baseUrl);
      } catch (error) {
        // A bug in the fake must not look like a provider answer: make it loud.
        response = new Response(`fake provider failed: ${(error as Error).stack ?? String(error)}`, { status: 599 });
      }
      const headers: Record<string, string | string[]> = {};
      response.headers.forEach((value, name) => {
        if (name !== 'set-cookie') headers[name] = value;
      });
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) headers['set-cookie'] = cookies;
      outgoing.writeHead(response.status, headers);
      outgoing.end(Buffer.from(await response.arrayBuffer()));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function record(incoming: IncomingMessage, baseUrl: string): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const url = new URL(incoming.url ?? '/', baseUrl);
  const type = headers.get('content-type') ?? '';
  let json: unknown;
  if (type.startsWith('application/json')) {
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
  }
  return {
    method: incoming.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers,
    body,
    form: type.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body) : undefined,
    json,
  };
}

/** A JSON response with `Cache-Control: no-store` (token endpoints, RFC 6749 §5.1). */
export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  });
}

/** A 302 to `location`. */
export function redirect(location: string | URL): Response {
  return new Response(null, { status: 302, headers: { Location: String(location) } });
}

/**
 * Client credentials from `Authorization: Basic` (RFC 6749 §2.3.1: id and secret are
 * form-urlencoded before base64), or `undefined` when the header is absent or not Basic.
 */
export function basicCredentials(headers: Headers, { formEncoded = true } = {}): { id: string; secret: string } | undefined {
  const header = headers.get('authorization');
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const part = (value: string) => (formEncoded ? decodeURIComponent(value.replace(/\+/g, ' ')) : value);
  return { id: part(decoded.slice(0, colon)), secret: part(decoded.slice(colon + 1)) };
}

/** The token of `Authorization: Bearer <token>` (or GitHub's older `token <token>`). */
export function bearerToken(headers: Headers): string | undefined {
  const match = /^(?:bearer|token) (\S+)$/i.exec(headers.get('authorization') ?? '');
  return match?.[1];
}
