/**
 * Client metadata documents, fetched and kept (draft-ietf-oauth-client-id-metadata-document §5):
 * the cache in front of the SSRF-safe fetcher. One per server instance, in memory: each process
 * fetches and keeps its own copies (several instances may each fetch a document once).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { ClientRecord } from '../../stores/contract.js';
import type { ServerConfig } from '../context.js';
import { parseIpRanges } from '../protection/ip-ranges.js';
import { fetchJson, SafeFetchError, type SafeFetchOptions } from '../network/safe-fetch.js';
import { clientIdUrlProblem, isClientIdUrl } from './client-id-url.js';
import { clientFromDocument, InvalidMetadataDocument } from './metadata-document.js';
import { registrableScopes } from './metadata.js';

/** Why a client identifier URL could not be resolved to a client: the rule, never the URL or the document. */
export class ClientDocumentError extends Error {
  /** A stable word for logs and metrics: a {@link SafeFetchError} code, `invalid_url` or `invalid_document`. */
  readonly reason: string;

  constructor(reason: string, message: string) {
    super(message);
    this.name = 'ClientDocumentError';
    this.reason = reason;
  }
}

/** How documents are fetched and kept (`clientMetadataDocuments` settings, resolved). */
export interface ClientDocumentSettings {
  minCacheSeconds: number;
  maxCacheSeconds: number;
  failureCacheSeconds: number;
  cacheEntries: number;
  fetch: SafeFetchOptions;
  /** Scopes a document may ask for: the ones the server advertises, never the admin API's (`registrableScopes`). */
  scopes: readonly string[];
}

/** A fetch under way: the lookup that started it spends first; the others join. */
interface Flight {
  client: Promise<ClientRecord>;
  /** The starting lookup's spend was refused: nothing was fetched, and joiners look up on their own. */
  spendRefused: boolean;
}

type Entry = { client: ClientRecord; until: number } | { failure: ClientDocumentError; until: number };

/**
 * How long a document may be kept, in seconds, from its cache headers (RFC 9111 §4.2.1):
 * `no-store` never; `no-cache` needs revalidation, so `0`; else `max-age`, else `Expires` minus
 * `Date` (an invalid `Expires` means already stale, §5.3); `undefined` when none says.
 */
export function freshnessLifetime(headers: IncomingHttpHeaders, now: number): number | 'no-store' | undefined {
  const directives = (headers['cache-control'] ?? '')
    .toLowerCase()
    .split(',')
    .map((part) => part.trim());
  if (directives.includes('no-store')) return 'no-store';
  if (directives.includes('no-cache')) return 0;
  const maxAge = directives.find((part) => part.startsWith('max-age='));
  if (maxAge !== undefined) {
    const seconds = Number(maxAge.slice('max-age='.length).replace(/^"|"$/g, ''));
    return Number.isInteger(seconds) && seconds >= 0 ? seconds : 0;
  }
  if (headers.expires !== undefined) {
    const expires = Date.parse(headers.expires);
    const date = headers.date === undefined ? now : Date.parse(headers.date);
    if (Number.isNaN(expires)) return 0;
    return Math.max(0, Math.floor((expires - (Number.isNaN(date) ? now : date)) / 1000));
  }
  return undefined;
}

/**
 * Resolves client identifier URLs to clients: from the cache while fresh, else by one fetch that
 * concurrent lookups of the same URL share. The cache holds at most `cacheEntries` URLs, the least
 * recently used leaving first. A failed fetch or an invalid document is remembered for
 * `failureCacheSeconds` without its content (the draft's §5.2 forbids caching error responses and
 * invalid documents as metadata: nothing of them is kept or used, only "refused until"), so a bad
 * URL cannot make the server fetch in a loop.
 */
export class ClientDocuments {
  readonly #entries = new Map<string, Entry>();
  readonly #flights = new Map<string, Flight>();

  constructor(
    private readonly settings: ClientDocumentSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Whether `clientId` is one this resolver answers for (an https URL, or http where allowed). */
  handles(clientId: string): boolean {
    return isClientIdUrl(clientId, this.settings.fetch.allowHttp === true);
  }

  /**
   * The client `url` names. `beforeFetch` runs only when this lookup is the one that fetches (not
   * from the cache, not joining a fetch under way): where the caller spends its rate limit. When it
   * throws, nothing is fetched and its error is the lookup's.
   *
   * @throws {ClientDocumentError} when the URL, the fetch or the document is refused.
   */
  async resolve(url: string, beforeFetch: () => Promise<void>): Promise<ClientRecord> {
    const problem = clientIdUrlProblem(url, this.settings.fetch.allowHttp === true);
    if (problem !== undefined) throw new ClientDocumentError('invalid_url', `the client identifier URL ${problem}`);
    for (;;) {
      const known = this.#cached(url);
      if (known) return known;
      const flying = this.#flights.get(url);
      if (flying) {
        try {
          return await flying.client;
        } catch (error) {
          // The lookup that started it was refused its spend (its own rate limit): try on our own.
          if (flying.spendRefused) continue;
          throw error;
        }
      }
      // Registered before anything is awaited, so concurrent lookups join it rather than spend too.
      const flight: Flight = { spendRefused: false, client: Promise.resolve(undefined as never) };
      flight.client = (async () => {
        try {
          await beforeFetch();
        } catch (error) {
          flight.spendRefused = true;
          throw error;
        }
        return this.#fetch(url);
      })().finally(() => this.#flights.delete(url));
      this.#flights.set(url, flight);
      return flight.client;
    }
  }

  /**
   * What to call a document client on pages about the past (the account page's applications and
   * sign-ins, the account export) without fetching: its name while its document is cached, else its
   * URL's host. `undefined` for an id that is not a client identifier URL.
   */
  label(clientId: string): string | undefined {
    if (!this.handles(clientId)) return undefined;
    const entry = this.#entries.get(clientId);
    if (entry && 'client' in entry) return entry.client.clientName;
    return URL.parse(clientId)?.host;
  }

  /** A fresh entry's client (made most recently used), or its remembered failure thrown. */
  #cached(url: string): ClientRecord | undefined {
    const entry = this.#entries.get(url);
    if (!entry) return undefined;
    if (entry.until <= this.clock.now()) {
      this.#entries.delete(url);
      return undefined;
    }
    this.#entries.delete(url);
    this.#entries.set(url, entry);
    if ('failure' in entry) throw entry.failure;
    return entry.client;
  }

  #keep(url: string, entry: Entry): void {
    this.#entries.delete(url);
    this.#entries.set(url, entry);
    while (this.#entries.size > this.settings.cacheEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }

  async #fetch(url: string): Promise<ClientRecord> {
    const { minCacheSeconds, maxCacheSeconds, failureCacheSeconds } = this.settings;
    try {
      const { json, headers } = await fetchJson(url, this.settings.fetch);
      const now = this.clock.now();
      const client = clientFromDocument(url, json, now, this.settings.scopes);
      const lifetime = freshnessLifetime(headers, now);
      if (lifetime !== 'no-store') {
        const seconds = Math.min(maxCacheSeconds, Math.max(minCacheSeconds, lifetime ?? minCacheSeconds));
        if (seconds > 0) this.#keep(url, { client, until: now + seconds * 1000 });
      }
      return client;
    } catch (error) {
      const failure =
        error instanceof SafeFetchError
          ? new ClientDocumentError(error.code, `the client metadata document could not be fetched: ${error.message}`)
          : error instanceof InvalidMetadataDocument
            ? new ClientDocumentError('invalid_document', `the client metadata document is invalid: ${error.message}`)
            : undefined;
      if (failure === undefined) throw error;
      // The reason, and the host for the operator; never the path or anything the document held.
      this.logger.warn({ reason: failure.reason, detail: failure.message, host: URL.parse(url)?.host }, 'client metadata document refused');
      if (failureCacheSeconds > 0) this.#keep(url, { failure, until: this.clock.now() + failureCacheSeconds * 1000 });
      throw failure;
    }
  }
}

/** The server's resolver of client metadata documents, or `undefined` when they are off (the default). */
export function createClientDocuments(config: ServerConfig, clock: Clock, logger: Logger): ClientDocuments | undefined {
  const settings = config.clientMetadataDocuments;
  const { unsafeFetchAllowList, unsafeFetchAllowHttp } = config.protection;
  // Checked even while off: a bad entry is a configuration error at construction, not later.
  const allowedAddresses = parseIpRanges(unsafeFetchAllowList, 'protection.unsafeFetchAllowList');
  if (!settings.enabled) return undefined;
  if (unsafeFetchAllowList.length > 0 || unsafeFetchAllowHttp) {
    logger.warn(
      'protection.unsafeFetchAllowList or unsafeFetchAllowHttp is set: URLs chosen by clients may be fetched from private addresses or over plain http (tests and development only)',
    );
  }
  return new ClientDocuments(
    {
      minCacheSeconds: settings.minCacheSeconds,
      maxCacheSeconds: settings.maxCacheSeconds,
      failureCacheSeconds: settings.failureCacheSeconds,
      cacheEntries: settings.cacheEntries,
      fetch: {
        timeoutMs: settings.timeoutMs,
        maxBytes: settings.maxBytes,
        allowHttp: unsafeFetchAllowHttp,
        allowedAddresses,
      },
      scopes: registrableScopes(config),
    },
    clock,
    logger,
  );
}
