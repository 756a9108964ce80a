/**
 * JWT access-token verification in one process, no HTTP: Gatehouse's resource guard
 * (`createResourceGuard(...).verify`) against raw `jose.jwtVerify` with a local JWKS and the same
 * checks (issuer, audience, ES256, `typ: at+jwt`, required claims), on the same tokens.
 * `node inproc/guard.mjs guard|jose`; the tokens, metadata and JWKS come in the first message.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import { gatehouse } from '../lib/dist.mjs';
import { serveRuns } from './worker.mjs';

const mode = process.argv[2] ?? 'guard';
const { tokens, metadata, jwks, audience } = await new Promise((resolve) => {
  process.once('message', (message) => resolve(message));
});

let verify;
if (mode === 'guard') {
  const { createResourceGuard } = await gatehouse('resource/index.js');
  // The issuer's documents served from memory: the guard caches both after the first request anyway.
  const documents = new Map([
    [new URL('/.well-known/oauth-authorization-server', metadata.issuer).href, metadata],
    [new URL('/.well-known/openid-configuration', metadata.issuer).href, metadata],
    [metadata.jwks_uri, jwks],
  ]);
  const fetchDocument = async (url) => {
    const document = documents.get(String(url instanceof Request ? url.url : url));
    return document ? Response.json(document) : new Response('not found', { status: 404 });
  };
  const guard = createResourceGuard({ issuer: metadata.issuer, audience, fetch: fetchDocument, allowInsecureRequests: true });
  verify = (token) => guard.verify(token);
} else if (mode === 'jose') {
  const keys = createLocalJWKSet(jwks);
  const options = {
    issuer: metadata.issuer,
    audience,
    algorithms: ['ES256'],
    typ: 'at+jwt',
    clockTolerance: 30,
    requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'],
  };
  verify = (token) => jwtVerify(token, keys, options);
} else {
  throw new Error(`unknown mode "${mode}" (guard or jose)`);
}

// Fail fast (in set-up, not as a silent error count) if the tokens do not verify.
await verify(tokens[0]);
let next = 0;
serveRuns(() => verify(tokens[(next = (next + 1) % tokens.length)]), { mode });
