/**
 * An MCP server (Model Context Protocol, streamable HTTP transport) with one tool, protected by
 * `gatehouse/resource`: the set-up docs/agents.md walks through.
 *
 * An MCP client that has never met it gets `401` with `resource_metadata` in the challenge, reads
 * the RFC 9728 document the guard serves, finds Gatehouse there, registers itself (RFC 7591 or a
 * Client ID Metadata Document), signs the user in with authorization code + PKCE and
 * `resource=<this server's URL>` (RFC 8707), and calls the tool with a token whose `aud` is this
 * server. A token for any other resource is refused.
 *
 * Run it next to Gatehouse (after `gatehouse clients add --name "MCP example" --resource-server
 * --serves http://127.0.0.1:4100/mcp`, so Gatehouse knows the resource):
 *
 *   GATEHOUSE_ISSUER=http://127.0.0.1:3000 node dist-examples/mcp-server/server.js
 */
import { pathToFileURL } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { createResourceGuard, type ResourceGuard, type VerifiedAccessToken } from 'gatehouse/resource';

/** The one scope the tool needs; Gatehouse must know it (`GATEHOUSE_SCOPES`). */
export const MCP_SCOPE = 'mcp:tools';

export interface McpExampleOptions {
  /** Gatehouse's issuer URL. */
  issuer: string;
  /** The MCP endpoint's absolute URL: also its resource identifier (RFC 8707, RFC 9728 `resource`). */
  url: string;
  /** Plain http to Gatehouse and for this server's own URL: loopback development only. */
  allowInsecureRequests?: boolean;
}

/** The MCP server of one request: stateless, so any instance answers any request. */
function mcpServer(token: VerifiedAccessToken): McpServer {
  const server = new McpServer({ name: 'gatehouse-mcp-example', version: '1.0.0' });
  server.registerTool('whoami', { title: 'Who am I', description: 'Says which user the client acts for, through which client, with which scopes.' }, () => ({
    content: [
      { type: 'text', text: `Signed in as ${token.sub ?? 'no user'} through client ${token.clientId ?? 'unknown'} with scopes ${token.scopes.join(' ')}` },
    ],
  }));
  return server;
}

/**
 * The MCP endpoint as a fetch handler: the guard answers the RFC 9728 document and every request
 * without a valid token for this resource and scope (401 with `resource_metadata`, 403
 * `insufficient_scope`); the rest reaches the MCP server.
 */
export function createMcpExample(options: McpExampleOptions): { fetch: (request: Request) => Promise<Response>; guard: ResourceGuard } {
  const guard = createResourceGuard({
    issuer: options.issuer,
    audience: options.url,
    ...(options.allowInsecureRequests ? { allowInsecureRequests: true } : {}),
    resourceMetadata: { resource: options.url, scopesSupported: [MCP_SCOPE], resourceName: 'Gatehouse MCP example' },
  });
  const endpoint = guard.protect(
    async (request, token) => {
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await mcpServer(token).connect(transport);
      return transport.handleRequest(request, {
        authInfo: { token: '', clientId: token.clientId ?? '', scopes: token.scopes, ...(token.expiresAt ? { expiresAt: token.expiresAt } : {}) },
      });
    },
    { scopes: [MCP_SCOPE] },
  );
  const mcpPath = new URL(options.url).pathname;
  // The MCP endpoint, and the well-known metadata (which `protect` answers before any token check).
  const fetch = async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    if (pathname === mcpPath || pathname.startsWith('/.well-known/oauth-protected-resource')) return endpoint(request);
    return new Response('Not found', { status: 404 });
  };
  return { fetch, guard };
}

// `node dist-examples/mcp-server/server.js`: serve it.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { serve } = await import('@hono/node-server');
  const issuer = process.env.GATEHOUSE_ISSUER ?? 'http://127.0.0.1:3000';
  const port = Number(process.env.PORT ?? 4100);
  const url = process.env.MCP_URL ?? `http://127.0.0.1:${port}/mcp`;
  const example = createMcpExample({ issuer, url, allowInsecureRequests: new URL(url).protocol === 'http:' });
  serve({ fetch: example.fetch, port, hostname: '127.0.0.1' });
  process.stdout.write(`MCP server at ${url}, tokens from ${issuer}\n`);
}
