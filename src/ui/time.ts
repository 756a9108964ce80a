/**
 * Times as the pages write them. The server does not know the reader's time zone (and the pages
 * run no script to find out), so exact times are in UTC and say so; recent ones are relative
 * ("2 hours ago"), which needs no time zone at all.
 */

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const two = (n: number) => String(n).padStart(2, '0');

/** A moment as a page shows it: in words, plus the exact time for `<time datetime>` and its title. */
export interface ShownTime {
  /** Such as "2 hours ago" or "12 March 2025". */
  text: string;
  /** ISO 8601, for the `datetime` attribute. */
  iso: string;
  /** Such as "12 March 2025, 09:12 UTC". */
  exact: string;
}

/**
 * "12 March 2025" (UTC).
 *
 * @example
 * formatDate(Date.UTC(2025, 2, 12, 9, 12)); // '12 March 2025'
 */
export function formatDate(ms: number): string {
  const date = new Date(ms);
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** "09:12 UTC". */
function formatTimeOfDay(ms: number): string {
  const date = new Date(ms);
  return `${two(date.getUTCHours())}:${two(date.getUTCMinutes())} UTC`;
}

/** "12 March 2025, 09:12 UTC". */
export function formatDateTime(ms: number): string {
  return `${formatDate(ms)}, ${formatTimeOfDay(ms)}`;
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/**
 * How long ago `ms` was at `now`: "just now", "5 minutes ago", "2 hours ago", "3 days ago", then
 * the date ("12 March 2025") from a week on. A moment in the future (clock skew) is "just now".
 */
export function timeAgo(ms: number, now: number): string {
  const age = now - ms;
  if (age < MINUTE) return 'just now';
  if (age < HOUR) return `${plural(Math.floor(age / MINUTE), 'minute')} ago`;
  if (age < DAY) return `${plural(Math.floor(age / HOUR), 'hour')} ago`;
  if (age < 7 * DAY) return `${plural(Math.floor(age / DAY), 'day')} ago`;
  return formatDate(ms);
}

/** {@link timeAgo} with the exact time, for `<time>`. */
export function shownTimeAgo(ms: number, now: number): ShownTime {
  return { text: timeAgo(ms, now), iso: new Date(ms).toISOString(), exact: formatDateTime(ms) };
}

/**
 * How long until `ms`, rounded up: "1 minute", "15 minutes", "2 hours", "1 hour 30 minutes"
 * (at least a minute: "in 0 minutes" would read as "now" and invite an attempt that fails).
 */
export function durationUntil(ms: number, now: number): string {
  const minutes = Math.max(1, Math.ceil((ms - now) / MINUTE));
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? plural(hours, 'hour') : `${plural(hours, 'hour')} ${plural(rest, 'minute')}`;
}

/**
 * When something may be tried again: "14:35 UTC" on the same (UTC) day, else with the date
 * ("13 March 2025, 00:10 UTC"). Rounded up to the minute, so the time shown is never too early.
 */
export function retryTime(ms: number, now: number): ShownTime {
  const at = Math.ceil(ms / MINUTE) * MINUTE;
  const sameDay = formatDate(at) === formatDate(now);
  return { text: sameDay ? formatTimeOfDay(at) : formatDateTime(at), iso: new Date(at).toISOString(), exact: formatDateTime(at) };
}
