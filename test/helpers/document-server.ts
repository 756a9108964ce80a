/**
 * A small web server for tests of outgoing fetches: HTTP or HTTPS (a self-signed certificate made
 * with openssl, for `client.example`, `localhost` and 127.0.0.1) on a free loopback port, answering
 * each path with a handler the test sets, and recording every request it received.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';

/** What a test server answers on one path. */
export type DocumentHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** One request the server received. */
export interface ReceivedRequest {
  path: string;
  host: string | undefined;
  /** The TLS server name (SNI) the client asked for; `undefined` over plain HTTP or without SNI. */
  servername: string | undefined;
}

export interface DocumentServer {
  /** `https://127.0.0.1:PORT` or `http://127.0.0.1:PORT`. */
  origin: string;
  port: number;
  /** The self-signed certificate, to trust as the CA (HTTPS only). */
  ca: string | undefined;
  /** Sets the answer on `path`; an unknown path gets 404. */
  on(path: string, handler: DocumentHandler): void;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

let certificate: { cert: string; key: string } | undefined;

/** A self-signed certificate for client.example, localhost and 127.0.0.1, made once per worker. */
function testCertificate(): { cert: string; key: string } {
  if (certificate) return certificate;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-doc-cert-'));
  try {
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=client.example',
        '-addext', 'subjectAltName=DNS:client.example,DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert,
      ], // prettier-ignore
      { stdio: 'ignore' },
    );
    certificate = { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
    return certificate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts a server on 127.0.0.1 and a free port. */
export async function startDocumentServer(protocol: 'https' | 'http' = 'https'): Promise<DocumentServer> {
  const handlers = new Map<string, DocumentHandler>();
  const received: ReceivedRequest[] = [];
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    const path = request.url ?? '/';
    const socket = request.socket as Partial<TLSSocket>;
    received.push({ path, host: request.headers.host, servername: typeof socket.servername === 'string' ? socket.servername : undefined });
    const handler = handlers.get(path);
    if (handler) handler(request, response);
    else response.writeHead(404).end();
  };
  const tls = protocol === 'https' ? testCertificate() : undefined;
  const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${protocol}://127.0.0.1:${port}`,
    port,
    ca: tls?.cert,
    on: (path, handler) => handlers.set(path, handler),
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers `body` as JSON (`application/json` unless `headers` says otherwise). */
export function json(body: unknown, headers: Record<string, string> = {}): DocumentHandler {
  return (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
}
