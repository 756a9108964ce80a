import { describeClient, registerClient, rotateClientSecret } from '../../server/admin/clients.js';
import { AdminInputError } from '../../server/admin/input-error.js';
import type { ClientAuthMethod, GrantType, SigningAlg } from '../../stores/contract.js';
import { configFrom, parseCommand } from '../args.js';
import { printRecord, printTable, UsageError, type CliIo } from '../io.js';
import { openRuntime } from '../runtime.js';

export const CLIENTS_USAGE = `Usage:
  gatehouse clients add --name NAME [--redirect-uri URI]... [--post-logout-redirect-uri URI]...
                        [--grant TYPE]... [--scope "a b c"] [--resource URI]...
                        [--auth-method client_secret_basic|client_secret_post|none]
                        [--id-token-alg ES256|RS256] [--resource-server]
                        [--logo-uri URL] [--client-uri URL] [--require-mfa]
                        [--allowed-ip CIDR]... [--json]
  Without --scope, a client with redirect URIs may ask for the OpenID scopes
  (openid profile email address phone, and offline_access when it has the refresh_token grant).
  gatehouse clients list [--json]
  gatehouse clients show CLIENT_ID [--json]
  gatehouse clients remove CLIENT_ID
  gatehouse clients rotate-secret CLIENT_ID [--json]
Every command takes --data DIR (default ./.gatehouse, or GATEHOUSE_DATA_DIR) and --dev (development mode).`;

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
  'logo-uri': { type: 'string' },
  'client-uri': { type: 'string' },
  'require-mfa': { type: 'boolean', default: false },
  'allowed-ip': { type: 'string', multiple: true },
} as const;

/** `gatehouse clients ...`: register and manage OAuth clients. */
export async function clientsCommand(args: string[], io: CliIo, warn: (message: string) => void): Promise<number> {
  const [first, ...rest] = args;
  // `gatehouse <command> --help` as well as `gatehouse <command> <action> --help`.
  const action = first === '--help' || first === '-h' ? undefined : first;
  if (action === undefined && first !== undefined) rest.unshift('--help');
  const { values, positionals } = parseCommand(rest, OPTIONS);
  if (values.help || action === undefined) {
    io.stdout.write(`${CLIENTS_USAGE}\n`);
    // Asked for help: success. No action at all: a usage error.
    return values.help ? 0 : 2;
  }
  const runtime = await openRuntime(configFrom(values, io), warn);
  const { store, secretKeys } = runtime;
  const now = Date.now();
  try {
    switch (action) {
      case 'add': {
        if (values.name === undefined) throw new UsageError('--name is required');
        const { client, clientSecret } = await registerClient(
          store,
          secretKeys,
          {
            name: values.name,
            redirectUris: values['redirect-uri'],
            postLogoutRedirectUris: values['post-logout-redirect-uri'],
            grantTypes: values.grant as GrantType[] | undefined,
            scope: values.scope,
            resources: values.resource,
            authMethod: values['auth-method'] as ClientAuthMethod | undefined,
            idTokenSignedResponseAlg: values['id-token-alg'] as SigningAlg | undefined,
            isResourceServer: values['resource-server'],
            logoUri: values['logo-uri'],
            clientUri: values['client-uri'],
            requireMfa: values['require-mfa'],
            allowedIps: values['allowed-ip'],
          },
          now,
        );
        await runtime.audit('client.created', { client_id: client.clientId, grant_types: client.grantTypes });
        printRecord(io, values.json, { ...describeClient(client), client_secret: clientSecret });
        if (!values.json && clientSecret !== null) io.stderr.write('The client secret is shown only once: store it now.\n');
        return 0;
      }
      case 'list': {
        const clients = (await store.clients.list()).map(describeClient);
        printTable(io, values.json, clients, ['client_id', 'client_name', 'grant_types', 'token_endpoint_auth_method', 'scope']);
        return 0;
      }
      case 'show': {
        const client = await store.clients.get(requiredId(positionals));
        if (!client) throw new AdminInputError('client', `no client with id "${positionals[0]}"`);
        printRecord(io, values.json, describeClient(client));
        return 0;
      }
      case 'remove': {
        const id = requiredId(positionals);
        if (!(await store.clients.delete(id))) throw new AdminInputError('client', `no client with id "${id}"`);
        await runtime.audit('client.removed', { client_id: id });
        io.stderr.write(`removed client ${id}\n`);
        return 0;
      }
      case 'rotate-secret': {
        const { client, clientSecret } = await rotateClientSecret(store, secretKeys, requiredId(positionals), now);
        await runtime.audit('client.secret_rotated', { client_id: client.clientId });
        printRecord(io, values.json, { client_id: client.clientId, client_secret: clientSecret });
        if (!values.json) io.stderr.write('The new client secret is shown only once; the old one no longer works.\n');
        return 0;
      }
      default:
        throw new UsageError(`unknown clients command "${action}"`);
    }
  } finally {
    await runtime.close();
  }
}

function requiredId(positionals: string[]): string {
  const [id] = positionals;
  if (id === undefined) throw new UsageError('a CLIENT_ID is required');
  return id;
}
