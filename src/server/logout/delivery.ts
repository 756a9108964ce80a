/**
 * Sends the queued back-channel logout notifications (OpenID Connect Back-Channel Logout 1.0 §2.5):
 * every instance polls the store's queue, claims what is due (a claim is atomic and leased, so no
 * notification is sent by two instances at once, and one an instance was sending when it stopped
 * is claimed again when the lease ends), signs the logout token and POSTs it through the SSRF-safe
 * fetcher. A failure is retried with exponential backoff and jitter, up to
 * `backchannelLogout.attempts`; then it is given up and audited.
 */
import type { LogoutDeliveryRecord } from '../../stores/contract.js';
import { auditEvent } from '../audit/events.js';
import type { Capabilities } from '../context.js';
import { postForm, SafeFetchError, type PostFormOptions } from '../network/safe-fetch.js';
import { parseIpRanges } from '../protection/ip-ranges.js';
import { logoutToken } from './backchannel-logout.js';

/** Most notifications being sent at once, per instance. */
const BATCH = 10;
/** Longest wait between retries, however many there were. */
const MAX_RETRY_DELAY_MS = 3_600_000;
/** Most of a receiver's answer read (and thrown away). */
const MAX_ANSWER_BYTES = 16_384;

/** The running sender: {@link LogoutDeliveries.close} stops it. */
export interface LogoutDeliveries {
  /** Claims and sends what is due now; resolves when this round is done (the timer calls it too). */
  run(): Promise<void>;
  /** Stops polling and waits for the deliveries under way. */
  close(): Promise<void>;
}

type DeliveryContext = Pick<Capabilities, 'audit' | 'clock' | 'config' | 'keys' | 'logger' | 'metrics' | 'store'>;

/**
 * The wait before attempt `attempts + 1`: `retryDelayMs`, doubled for each attempt after the first,
 * at most an hour, less a random part of up to half ("equal jitter").
 */
export function retryDelay(retryDelayMs: number, attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_DELAY_MS, retryDelayMs * 2 ** Math.min(attempts - 1, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Starts sending the queue's notifications every `backchannelLogout.pollIntervalMs`. */
export function startLogoutDeliveries(ctx: DeliveryContext): LogoutDeliveries {
  const settings = ctx.config.backchannelLogout;
  const fetchOptions: PostFormOptions = {
    timeoutMs: settings.timeoutMs,
    maxBytes: MAX_ANSWER_BYTES,
    allowHttp: ctx.config.protection.unsafeFetchAllowHttp,
    allowedAddresses: parseIpRanges(ctx.config.protection.unsafeFetchAllowList, 'protection.unsafeFetchAllowList'),
  };
  // Long enough for the delivery's deadline and the store writes after it; then another instance may take over.
  const leaseMs = settings.timeoutMs * 2 + 5000;
  let closed = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const deliver = async (record: LogoutDeliveryRecord): Promise<void> => {
    const lease = record.lease!;
    const client = await ctx.store.clients.get(record.clientId);
    const fields = { client_id: record.clientId, sub: record.sub, ...(record.sid !== null ? { sid: record.sid } : {}) };
    if (client?.backchannelLogoutUri === undefined) {
      // The client was removed, or no longer wants notifications, since the session ended.
      await ctx.store.logoutDeliveries.complete(record.id, lease);
      return;
    }
    let failure: string;
    try {
      const status = await postForm(client.backchannelLogoutUri, { logout_token: await logoutToken(ctx, client, record) }, fetchOptions);
      // §2.8: the RP answers 200 OK on success. Any 2xx is taken as success: a 204 says the same
      // thing, and retrying a notification the RP acted on would only be refused as a replay.
      if (status >= 200 && status < 300) {
        await ctx.store.logoutDeliveries.complete(record.id, lease);
        ctx.metrics.backchannelLogouts.inc({ outcome: 'delivered' });
        ctx.audit.recordLater(auditEvent('logout.backchannel_delivered', { ...fields, attempts: record.attempts }));
        return;
      }
      failure = `status ${status}`;
    } catch (error) {
      if (!(error instanceof SafeFetchError)) ctx.logger.warn({ err: error, client_id: record.clientId }, 'back-channel logout token not sent');
      // Counted as an attempt all the same (a signing key missing for the client's algorithm, say), so it ends.
      failure = error instanceof SafeFetchError ? error.code : 'error';
    }
    if (record.attempts >= settings.attempts) {
      await ctx.store.logoutDeliveries.complete(record.id, lease);
      ctx.metrics.backchannelLogouts.inc({ outcome: 'failed' });
      ctx.audit.recordLater(auditEvent('logout.backchannel_failed', { ...fields, attempts: record.attempts, reason: failure }));
      return;
    }
    await ctx.store.logoutDeliveries.retryAt(record.id, lease, ctx.clock.now() + retryDelay(settings.retryDelayMs, record.attempts));
    ctx.metrics.backchannelLogouts.inc({ outcome: 'retried' });
    ctx.logger.warn({ client_id: record.clientId, attempts: record.attempts, reason: failure }, 'back-channel logout delivery failed; will retry');
  };

  // A pool of BATCH deliveries: a slot freed is claimed again at once, so a receiver that is slow
  // to answer (up to its deadline) holds one slot, not the notifications of every other client.
  const round = async (): Promise<void> => {
    const inFlight = new Set<Promise<void>>();
    for (;;) {
      const free = BATCH - inFlight.size;
      const claimed = closed || free === 0 ? [] : await ctx.store.logoutDeliveries.claim(ctx.clock.now(), leaseMs, free);
      for (const record of claimed) {
        const delivery: Promise<void> = deliver(record)
          // A store or signing failure leaves the record to come back when its lease ends.
          .catch((error: unknown) => ctx.logger.warn({ err: error, client_id: record.clientId }, 'back-channel logout delivery failed'))
          .finally(() => inFlight.delete(delivery));
        inFlight.add(delivery);
      }
      // Nothing more due now (or closing): finish what is under way; the next poll takes the rest.
      if (claimed.length < free || closed) {
        await Promise.all(inFlight);
        return;
      }
      await Promise.race(inFlight);
    }
  };

  const run = (): Promise<void> => {
    running ??= round()
      .catch((error: unknown) => ctx.logger.warn({ err: error }, 'back-channel logout queue unavailable'))
      .finally(() => (running = undefined));
    return running;
  };

  const schedule = (): void => {
    if (closed) return;
    timer = setTimeout(() => void run().finally(schedule), settings.pollIntervalMs);
    timer.unref();
  };
  schedule();

  return {
    run,
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}
