/**
 * Stable codes for a failed delivery, so callers branch without parsing messages:
 * - `ERR_INVALID_MESSAGE`: the message itself is malformed (a bug in the caller, not the network);
 * - `ERR_UNSUPPORTED_CHANNEL`: the sender cannot carry this channel (e.g. SMS through SMTP);
 * - `ERR_DELIVERY_FAILED`: the mail server or gateway refused, or could not be reached;
 * - `ERR_DELIVERY_TIMEOUT`: the gateway did not answer in time.
 *
 * @example
 * const retryable = (code: SenderErrorCode) => code === 'ERR_DELIVERY_FAILED' || code === 'ERR_DELIVERY_TIMEOUT';
 */
export type SenderErrorCode = 'ERR_INVALID_MESSAGE' | 'ERR_UNSUPPORTED_CHANNEL' | 'ERR_DELIVERY_FAILED' | 'ERR_DELIVERY_TIMEOUT';

/**
 * A one-time code could not be delivered. The message names what failed (host, HTTP status,
 * SMTP reply) and never carries the code, a password or a webhook secret, so it is safe to log.
 *
 * @example
 * try {
 *   await sender.send(message);
 * } catch (error) {
 *   if (error instanceof SenderError && error.code === 'ERR_DELIVERY_TIMEOUT') showRetryButton();
 *   else throw error;
 * }
 */
export class SenderError extends Error {
  readonly code: SenderErrorCode;
  /** HTTP status of a webhook answer or SMTP reply code, when the far end answered at all. */
  readonly status: number | undefined;

  constructor(message: string, code: SenderErrorCode, status?: number) {
    super(message);
    this.name = 'SenderError';
    this.code = code;
    this.status = status;
  }
}
