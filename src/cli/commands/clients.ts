import type { ClientUpdate } from '../../server/admin/clients.js';
import { readFileSync } from 'node:fs';
import type { ClientAuthMethod, GrantType, SigningAlg } from '../../stores/contract.js';
import { openAdmin, REMOTE_OPTIONS, REMOTE_USAGE } from '../admin-operations.js';
import { parseCommand } from '../args.js';
import { printRecord, printTable, UsageError, type CliIo } from '../io.js';

const CLIENTS_USAGE = `Usage:
  gatehouse clients add --name NAME [--redirect-uri URI]... [--grant TYPE]... [--scope "a b c"] ...
                        (gatehouse clients add --help: every option, its values and defaults)
  gatehouse clients list [--json]
  gatehouse clients show CLIENT_ID [--json]
  gatehouse clients update CLIENT_ID [--redirect-uri URI]... [--post-logout-redirect-uri URI]...
                           [--resource URI]... [--serves URI]... [--require-par]
                           [--jwks-file FILE | --jwks-uri URL] [--json]
                           [--backchannel-logout-uri URI|"" [--backchannel-logout-session-required]]
                        replaces each list given (all of it); the lists not given stay as they are;
                        --require-par: from now on it must push its authorization requests;
                        --jwks-file/--jwks-uri replace the client's keys;
                        --backchannel-logout-uri "" removes the back-channel logout URI
  gatehouse clients remove CLIENT_ID
  gatehouse clients rotate-secret CLIENT_ID [--json]
Every command takes --data DIR (default ./.gatehouse, or GATEHOUSE_DATA_DIR) and --dev (development mode).
${REMOTE_USAGE}`;

/** Help of `gatehouse clients add`: the values each option takes and what is assumed without it. */
const CLIENTS_ADD_USAGE = `Usage:
  gatehouse clients add --name NAME [--redirect-uri URI]... [--post-logout-redirect-uri URI]...
                        [--grant TYPE]... [--scope "a b c"] [--resource URI]...
                        [--auth-method METHOD] [--id-token-alg ES256|RS256] [--resource-server]
                        [--serves URI]... [--logo-uri URL] [--client-uri URL] [--require-mfa]
                        [--allowed-ip CIDR]... [--exchange-impersonation]
                        [--allow-nonce-without-pkce] [--dpop-bound-access-tokens] [--require-par]
                        [--profile fapi2]
                        [--backchannel-logout-uri URI [--backchannel-logout-session-required]]
                        [--jwks-file FILE | --jwks-uri URL] [--token-endpoint-auth-signing-alg ALG]
                        [--request-object-signing-alg ALG] [--require-signed-request-object] [--json]
  --grant TYPE          authorization_code (users sign in; needs --redirect-uri), refresh_token,
                        client_credentials (a service acting for itself),
                        urn:ietf:params:oauth:grant-type:device_code (users sign in a device
                        from another screen, RFC 8628; no redirect URI),
                        urn:ietf:params:oauth:grant-type:token-exchange (trade a user's token for
                        one with another audience or a narrower scope). Repeatable.
                        Default: authorization_code and refresh_token with a --redirect-uri,
                        else client_credentials.
  --auth-method METHOD  how the client authenticates at the token endpoint:
                        client_secret_basic (default), client_secret_post, or none (a public
                        client: an app in a browser or on a device, no secret; not with
                        client_credentials), or private_key_jwt (RFC 7523: it signs a short JWT
                        with its own key; needs --jwks-file or --jwks-uri; no secret).
  --scope "a b c"       the scopes it may ask for. Default: with authorization_code or the device
                        grant, the OpenID
                        scopes (openid profile email address phone, and offline_access with
                        refresh_token); otherwise none, so name the API scopes a service needs.
  --redirect-uri URI    where users are sent back (https, or http on loopback); exact match.
  --id-token-alg ALG    ES256 (default) or RS256.
  --resource-server     it may introspect tokens (a confidential client).
  --serves URI          with --resource-server: a resource identifier (RFC 8707) of the API it
                        serves, such as https://mcp.example.com/mcp. Any client may then ask for
                        tokens for it. Repeatable; each URI is served by one client only.
  --resource URI        the resources it may ask tokens for. Default: the default audience and
                        every resource a resource server serves.
  --allowed-ip CIDR     it may call the token, introspection and revocation endpoints only from
                        these addresses. Default: from anywhere.
  --require-mfa         its users must pass a second factor.
  --exchange-impersonation
                        token exchange without an actor token issues tokens without \`act\`
                        (impersonation). Default: the client is recorded as the actor.
  --profile fapi2       hold it to the FAPI 2.0 Security Profile: private_key_jwt, PAR, PKCE, DPoP,
                        https redirect URIs, PS256/ES256/EdDSA, refresh tokens not rotated
                        (docs/fapi2.md). Default: none.
  --allow-nonce-without-pkce
                        OAuth 2.1 section 7.5.2: this confidential OpenID client may leave PKCE
                        out of a sign-in request that sends a nonce. Default: PKCE always.
  --dpop-bound-access-tokens
                        it must prove possession of a key (DPoP, RFC 9449) at the token
                        endpoint: every token it gets is bound to that key.
  --require-par         it must push its authorization requests to /par first (RFC 9126); one
                        sent straight to /authorize is refused. Default: it may do either
                        (unless GATEHOUSE_REQUIRE_PAR is on).
  --backchannel-logout-uri URI
                        where Gatehouse POSTs a logout token when a user who signed in to the
                        client signs out (OpenID Connect Back-Channel Logout; https, or http on
                        loopback). Default: none.
  --backchannel-logout-session-required
                        the client needs sid in logout tokens (Gatehouse always sends it).
  --jwks-file FILE      the client's public keys, a JWK Set in a JSON file (no private keys), for
                        private_key_jwt and signed request objects.
  --jwks-uri URL        or: the https URL where the client publishes them (fetched when needed,
                        cached). Not with --jwks-file.
  --token-endpoint-auth-signing-alg ALG
                        the one algorithm of its client assertions: RS256, PS256, ES256 or EdDSA.
                        Default: any of them.
  --request-object-signing-alg ALG
                        the one algorithm of its request objects (same values and default).
  --require-signed-request-object
                        its sign-in requests must come as a signed request object (RFC 9101).
The client secret (client_secret_basic and client_secret_post) is printed once.`;

const OPTIONS = {
  name: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  grant: { type: 'string', multiple: true },
  scope: { type: 'string' },
  resource: { type: 'string', multiple: true },
  'auth-method': { type: 'string' },
  'id-token-alg': { type: 'string' },
  'resource-server': { type: 'boolean', default: false },
  serves: { type: 'string', multiple: true },
  'logo-uri': { type: 'string' },
  'client-uri': { type: 'string' },
  'require-mfa': { type: 'boolean', default: false },
  'allowed-ip': { type: 'string', multiple: true },
  'exchange-impersonation': { type: 'boolean', default: false },
  'allow-nonce-without-pkce': { type: 'boolean', default: false },
  profile: { type: 'string' },
  'dpop-bound-access-tokens': { type: 'boolean', default: false },
  'require-par': { type: 'boolean', default: false },
  'backchannel-logout-uri': { type: 'string' },
  'backchannel-logout-session-required': { type: 'boolean', default: false },
  'jwks-file': { type: 'string' },
  'jwks-uri': { type: 'string' },
  'token-endpoint-auth-signing-alg': { type: 'string' },
  'request-object-signing-alg': { type: 'string' },
  'require-signed-request-object': { type: 'boolean', default: false },
  ...REMOTE_OPTIONS,
} as const;

const ACTIONS = new Set(['add', 'list', 'show', 'update', 'remove', 'rotate-secret']);

/** `gatehouse clients ...`: register and manage OAuth clients. */
export async function clientsCommand(args: string[], io: CliIo, warn: (message: string) => void): Promise<number> {
  const [first, ...rest] = args;
  // `gatehouse <command> --help` as well as `gatehouse <command> <action> --help`.
  const action = first === '--help' || first === '-h' ? undefined : first;
  if (action === undefined && first !== undefined) rest.unshift('--help');
  const { values, positionals } = parseCommand(rest, OPTIONS);
  if (values.help || action === undefined) {
    io.stdout.write(`${action === 'add' ? CLIENTS_ADD_USAGE : CLIENTS_USAGE}\n`);
    // Asked for help: success. No action at all: a usage error.
    return values.help ? 0 : 2;
  }
  if (action === 'update') checkUpdateFlags(values);
  if (!ACTIONS.has(action)) throw new UsageError(`unknown clients command "${action}"`);
  const admin = await openAdmin(values, io, warn);
  try {
    switch (action) {
      case 'add': {
        if (values.name === undefined) throw new UsageError('--name is required');
        const client = await admin.registerClient({
          name: values.name,
          redirectUris: values['redirect-uri'],
          postLogoutRedirectUris: values['post-logout-redirect-uri'],
          grantTypes: values.grant as GrantType[] | undefined,
          scope: values.scope,
          resources: values.resource,
          authMethod: values['auth-method'] as ClientAuthMethod | undefined,
          idTokenSignedResponseAlg: values['id-token-alg'] as SigningAlg | undefined,
          isResourceServer: values['resource-server'],
          servedResources: values.serves,
          logoUri: values['logo-uri'],
          clientUri: values['client-uri'],
          requireMfa: values['require-mfa'],
          allowedIps: values['allowed-ip'],
          exchangeImpersonation: values['exchange-impersonation'],
          allowNonceWithoutPkce: values['allow-nonce-without-pkce'],
          profile: values.profile,
          dpopBoundAccessTokens: values['dpop-bound-access-tokens'],
          requirePushedAuthorizationRequests: values['require-par'],
          backchannelLogoutUri: values['backchannel-logout-uri'],
          ...(values['backchannel-logout-session-required'] ? { backchannelLogoutSessionRequired: true } : {}),
          jwks: readJwksFile(values['jwks-file']),
          jwksUri: values['jwks-uri'],
          tokenEndpointAuthSigningAlg: values['token-endpoint-auth-signing-alg'],
          requestObjectSigningAlg: values['request-object-signing-alg'],
          requireSignedRequestObject: values['require-signed-request-object'],
        });
        printRecord(io, values.json, client);
        // Nothing said how it will be used: say what was assumed, and how to get the other kind.
        if (values.grant === undefined && values['redirect-uri'] === undefined && values.scope === undefined) {
          const scopes = client.scope === '' ? 'no scopes (add --scope "..." for the APIs it calls)' : `scopes ${String(client.scope)}`;
          const grants = (client.grant_types as string[]).join(' + ');
          io.stderr.write(`created a ${grants} client with ${scopes}; add --redirect-uri for a web app that signs users in\n`);
        }
        if (!values.json && client.client_secret !== null) io.stderr.write('The client secret is shown only once: store it now.\n');
        return 0;
      }
      case 'list': {
        printTable(io, values.json, await admin.listClients(), ['client_id', 'client_name', 'grant_types', 'token_endpoint_auth_method', 'scope']);
        return 0;
      }
      case 'show': {
        printRecord(io, values.json, await admin.getClient(requiredId(positionals)));
        return 0;
      }
      case 'update': {
        const changes = {
          redirectUris: values['redirect-uri'],
          postLogoutRedirectUris: values['post-logout-redirect-uri'],
          resources: values.resource,
          servedResources: values.serves,
          ...(values['require-par'] ? { requirePushedAuthorizationRequests: true } : {}),
          ...backchannelChange(values['backchannel-logout-uri'], values['backchannel-logout-session-required']),
          jwks: readJwksFile(values['jwks-file']),
          jwksUri: values['jwks-uri'],
        };
        printRecord(io, values.json, await admin.updateClient(requiredId(positionals), changes));
        return 0;
      }
      case 'remove': {
        const id = requiredId(positionals);
        await admin.removeClient(id);
        io.stderr.write(`removed client ${id}\n`);
        return 0;
      }
      case 'rotate-secret': {
        printRecord(io, values.json, await admin.rotateClientSecret(requiredId(positionals)));
        if (!values.json) io.stderr.write('The new client secret is shown only once; the old one no longer works.\n');
        return 0;
      }
      default:
        throw new UsageError(`unknown clients command "${action}"`);
    }
  } finally {
    await admin.close();
  }
}

function requiredId(positionals: string[]): string {
  const [id] = positionals;
  if (id === undefined) throw new UsageError('a CLIENT_ID is required');
  return id;
}

/** `--backchannel-logout-uri` of `clients update`: a new URI (and whether it needs `sid`), or `""` to remove it. */
function backchannelChange(uri: string | undefined, sessionRequired: boolean): Pick<ClientUpdate, 'backchannelLogoutUri' | 'backchannelLogoutSessionRequired'> {
  if (uri === undefined) {
    if (sessionRequired) throw new UsageError('--backchannel-logout-session-required goes with --backchannel-logout-uri');
    return {};
  }
  if (uri === '') return { backchannelLogoutUri: null };
  return { backchannelLogoutUri: uri, backchannelLogoutSessionRequired: sessionRequired };
}

/** `--jwks-file`: the JWK Set in the file, parsed (its keys are checked by the operation). */
function readJwksFile(path: string | undefined): unknown {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`--jwks-file: cannot read ${path}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError('--jwks-file: the file is not JSON (a JWK Set: {"keys": [...]})');
  }
}

/** The flags of the lists `clients update` replaces, and of the settings it turns on or changes. */
const UPDATABLE = [
  'redirect-uri',
  'post-logout-redirect-uri',
  'resource',
  'serves',
  'require-par',
  'backchannel-logout-uri',
  'backchannel-logout-session-required',
  'jwks-file',
  'jwks-uri',
] as const;

type UpdateValues = Partial<Record<(typeof UPDATABLE)[number], string[] | string | boolean | undefined>> & Record<string, unknown>;

/** The flags `clients update` takes, as its usage errors name them. */
const UPDATE_FLAGS = UPDATABLE.map((flag) => `--${flag}`).join(', ');

/**
 * The flags of `clients update`, checked before anything is opened. Any flag but the lists it
 * replaces is refused rather than ignored: an operator must not believe they changed a scope.
 */
function checkUpdateFlags(values: UpdateValues): void {
  const other = Object.keys(OPTIONS).find(
    (flag) =>
      !UPDATABLE.some((updatable) => updatable === flag) && !Object.hasOwn(REMOTE_OPTIONS, flag) && values[flag] !== undefined && values[flag] !== false,
  );
  if (other !== undefined) throw new UsageError(`clients update changes only ${UPDATE_FLAGS}, not --${other}`);
  if (!UPDATABLE.some((flag) => values[flag] !== undefined && values[flag] !== false)) throw new UsageError(`clients update needs one of ${UPDATE_FLAGS}`);
}
