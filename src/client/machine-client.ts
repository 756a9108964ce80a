import * as oauth from 'oauth4webapi';
import { fetchWithDeadline, httpTimeout } from '../core/deadline-fetch.js';
import { ConfigError } from '../core/errors.js';
import {
  checkTokenBinding,
  dpopHandle,
  fetchProtectedResource,
  generateDPoPKeyPair,
  resolveDPoPOption,
  retryOnNonce,
  type MachineDPoPOptions,
} from './dpop.js';
import { translateError } from './errors.js';
import { rejectUnknownOptions, requireHttps, requireObject, type OptionNames } from '../core/option-checks.js';

export interface MachineClientOptions {
  /** The authorization server's issuer (its metadata gives the token endpoint). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Default `client_secret_basic`. */
  clientAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  scopes?: string[];
  /** Resource indicator(s) of the API to call (RFC 8707). */
  resource?: string | string[];
  /** Get a new token this many seconds before the current one expires. Default 60. */
  refreshLeeway?: number;
  /** Allows a plain-http authorization server (local development and tests only). */
  allowInsecureRequests?: boolean;
  fetch?: typeof fetch;
  /**
   * Deadline of each request to the authorization server (discovery, token), answer included, in
   * milliseconds; a request past it rejects with a `TimeoutError`. Not applied to
   * {@link MachineClient.fetch}'s own request to the API. Default 5000.
   */
  timeoutMs?: number;
  now?: () => number;
  /**
   * DPoP (RFC 9449): the token request and {@link MachineClient.fetch} carry proofs of one key pair
   * per client instance (generated, non-extractable, unless `keyPair` is given); `use_dpop_nonce`
   * answers are retried once with the nonce. `true`: ES256, and a bearer token is refused
   * (`OAuthValidationError`, `dpop_not_bound`). Default off.
   */
  dpop?: boolean | MachineDPoPOptions;
}

/** Every option of {@link createMachineClient}: anything else is refused as a likely typo. */
const MACHINE_CLIENT_OPTIONS = {
  issuer: true,
  clientId: true,
  clientSecret: true,
  clientAuthMethod: true,
  scopes: true,
  resource: true,
  refreshLeeway: true,
  allowInsecureRequests: true,
  fetch: true,
  timeoutMs: true,
  now: true,
  dpop: true,
} satisfies OptionNames<MachineClientOptions>;

/** A service calling APIs on its own behalf with the client credentials grant (RFC 6749 §4.4). */
export interface MachineClient {
  /** A valid access token: cached until shortly before expiry; concurrent callers share one request. */
  getAccessToken(): Promise<string>;
  /**
   * `fetch` with `Authorization: Bearer …` added; with DPoP, `Authorization: DPoP …` and a proof
   * (`ath`, RFC 9449 §7.1), retried once on a `use_dpop_nonce` challenge (§9), without following
   * redirects (a proof names one URL).
   */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
}

/**
 * Creates a client-credentials client.
 *
 * @example
 * const machine = createMachineClient({ issuer, clientId, clientSecret, scopes: ['notes:read'], resource: 'https://api.example' });
 * const response = await machine.fetch('https://api.example/notes');
 */
export function createMachineClient(options: MachineClientOptions): MachineClient {
  requireObject(options, 'options');
  rejectUnknownOptions(options, MACHINE_CLIENT_OPTIONS);
  for (const name of ['issuer', 'clientId', 'clientSecret'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') throw new ConfigError(`option "${name}" is required`, 'ERR_INVALID_OPTION', name);
  }
  if (!URL.canParse(options.issuer)) throw new ConfigError('option "issuer" must be an absolute URL', 'ERR_INVALID_OPTION', 'issuer');
  requireHttps(options.issuer, 'issuer', options.allowInsecureRequests);
  if (options.clientAuthMethod !== undefined && !['client_secret_basic', 'client_secret_post'].includes(options.clientAuthMethod)) {
    throw new ConfigError('option "clientAuthMethod" must be client_secret_basic or client_secret_post', 'ERR_INVALID_OPTION', 'clientAuthMethod');
  }
  if (options.refreshLeeway !== undefined && !(Number.isInteger(options.refreshLeeway) && options.refreshLeeway >= 0)) {
    throw new ConfigError('option "refreshLeeway" must be a whole number of seconds', 'ERR_INVALID_OPTION', 'refreshLeeway');
  }
  const now = options.now ?? Date.now;
  const baseFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const serverFetch = fetchWithDeadline(baseFetch, httpTimeout(options.timeoutMs));
  const requestOptions = { [oauth.customFetch]: serverFetch, ...(options.allowInsecureRequests ? { [oauth.allowInsecureRequests]: true } : {}) };
  const client: oauth.Client = { client_id: options.clientId };
  const auth = options.clientAuthMethod === 'client_secret_post' ? oauth.ClientSecretPost(options.clientSecret) : oauth.ClientSecretBasic(options.clientSecret);
  const leeway = (options.refreshLeeway ?? 60) * 1000;
  const dpopSettings = resolveDPoPOption(options.dpop, true);
  // RFC 9449 §2: one key pair for the instance, so its tokens are bound to the process holding them.
  let dpopKey: Promise<oauth.DPoPHandle> | undefined;
  const dpop = () => {
    if (!dpopSettings) return undefined;
    dpopKey ??= (async () => dpopHandle(client, dpopSettings.keyPair ?? (await generateDPoPKeyPair(dpopSettings.alg))))();
    return dpopKey;
  };
  let server: Promise<oauth.AuthorizationServer> | undefined;
  /** The token and whether it is DPoP-bound (then every use carries a proof). */
  type Token = { token: string; expiresAt: number; bound: boolean };
  let current: Token | undefined;
  let pending: Promise<Token> | undefined;

  const metadata = () => {
    server ??= (async () => {
      const issuer = new URL(options.issuer);
      const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...requestOptions });
      return oauth.processDiscoveryResponse(issuer, response);
    })().catch(async (error: unknown) => {
      server = undefined;
      throw await translateError(error);
    });
    return server;
  };

  const request = async (): Promise<Token> => {
    const as = await metadata();
    const parameters: [string, string][] = [];
    if (options.scopes?.length) parameters.push(['scope', options.scopes.join(' ')]);
    for (const resource of [options.resource ?? []].flat()) parameters.push(['resource', resource]);
    const handle = await dpop();
    const tokenOptions = handle ? { ...requestOptions, DPoP: handle } : requestOptions;
    try {
      const result = await retryOnNonce(handle, async () => {
        const response = await oauth.clientCredentialsGrantRequest(as, client, auth, parameters, tokenOptions);
        return oauth.processClientCredentialsResponse(as, client, response);
      });
      const bound = dpopSettings ? checkTokenBinding(dpopSettings.required, result.token_type) : false;
      current = { token: result.access_token, expiresAt: now() + (result.expires_in ?? 300) * 1000, bound };
      return current;
    } catch (error) {
      throw await translateError(error);
    }
  };

  const validToken = async (): Promise<Token> => {
    if (current && current.expiresAt - leeway > now()) return current;
    pending ??= request().finally(() => {
      pending = undefined;
    });
    return pending;
  };
  const resourceOptions = { [oauth.customFetch]: baseFetch, ...(options.allowInsecureRequests ? { [oauth.allowInsecureRequests]: true } : {}) };

  return {
    getAccessToken: async () => (await validToken()).token,
    async fetch(input, init = {}) {
      const { token, bound } = await validToken();
      if (bound) return fetchProtectedResource(token, await dpop(), input, init, resourceOptions);
      const headers = new Headers(init.headers);
      headers.set('Authorization', `Bearer ${token}`);
      return baseFetch(input, { ...init, headers });
    },
  };
}
