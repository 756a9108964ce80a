/**
 * The little of oidc-provider v9's API these tests use. The package ships no typings and
 * `@types/oidc-provider` is not a dependency; declaring the used surface keeps the tests strict.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface AccountClaims {
    sub: string;
    [claim: string]: unknown;
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string, claims: unknown, rejected: string[]): AccountClaims | Promise<AccountClaims>;
  }

  export interface ClientMetadata {
    client_id: string;
    client_secret?: string;
    redirect_uris: string[];
    post_logout_redirect_uris?: string[];
    grant_types?: string[];
    response_types?: string[];
    token_endpoint_auth_method?: string;
    id_token_signed_response_alg?: string;
    [metadata: string]: unknown;
  }

  export interface Configuration {
    clients?: ClientMetadata[];
    findAccount?: (ctx: unknown, sub: string, token?: unknown) => Account | undefined | Promise<Account | undefined>;
    claims?: Record<string, string[] | null>;
    scopes?: string[];
    features?: Record<string, { enabled?: boolean; [option: string]: unknown }>;
    jwks?: { keys: Record<string, unknown>[] };
    cookies?: { keys?: string[]; [option: string]: unknown };
    ttl?: Record<string, number | ((...args: unknown[]) => number)>;
    pkce?: { required?: (ctx: unknown, client: unknown) => boolean };
    issueRefreshToken?: (ctx: unknown, client: unknown, code: unknown) => boolean | Promise<boolean>;
    rotateRefreshToken?: boolean | ((ctx: unknown) => boolean | Promise<boolean>);
    [option: string]: unknown;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export default Provider;
}
