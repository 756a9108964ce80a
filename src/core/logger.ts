import { pino, type Logger } from 'pino';

/**
 * Paths pino blanks in every log line, as a second line of defence: secrets are never logged on
 * purpose in the first place.
 */
export const REDACTED_PATHS = [
  'password',
  'secret',
  'client_secret',
  'clientSecret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'code_verifier',
  'authorization',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.client_secret',
  '*.token',
];

/** The default logger: JSON lines on stdout (ready for ELK, Splunk, Loki). */
export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { service: 'gatehouse' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that writes nothing. */
export function silentLogger(): Logger {
  return pino({ enabled: false });
}
