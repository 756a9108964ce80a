/**
 * Times as the pages write them, in the page's language (its {@link Translator}; English when a
 * page has none yet). The server does not know the reader's time zone (and the pages run no script
 * to find out), so exact times are in UTC and say so; recent ones are relative ("2 hours ago"),
 * which needs no time zone at all. Dates and times come from `Intl` for the language, the words
 * around them ("UTC", "15 minutes", "2 hours ago") from the catalogs, with the language's plurals.
 */
import { englishMessages, type Translator } from './i18n/messages.js';
import { SOURCE_LOCALE } from './i18n/locales.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A moment as a page shows it: in words, plus the exact time for `<time datetime>` and its title. */
export interface ShownTime {
  /** Such as "2 hours ago" or "12 March 2025". */
  text: string;
  /** ISO 8601, for the `datetime` attribute. */
  iso: string;
  /** Such as "12 March 2025, 09:12 UTC". */
  exact: string;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * The `Intl` format of `kind` for `locale`, in UTC, made once. English is written as the pages
 * always have, day before month ("12 March 2025"); the 24-hour clock everywhere, as beside "UTC".
 */
function utcFormat(locale: string, kind: 'date' | 'time'): Intl.DateTimeFormat {
  const id = `${locale} ${kind}`;
  let format = formats.get(id);
  if (!format) {
    const options: Intl.DateTimeFormatOptions =
      kind === 'date' ? { day: 'numeric', month: 'long', year: 'numeric' } : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    format = new Intl.DateTimeFormat(locale === SOURCE_LOCALE ? 'en-GB' : locale, { ...options, timeZone: 'UTC' });
    formats.set(id, format);
  }
  return format;
}

/**
 * "12 March 2025" (UTC), "12. März 2025" in German.
 *
 * @example
 * formatDate(Date.UTC(2025, 2, 12, 9, 12)); // '12 March 2025'
 */
export function formatDate(ms: number, i18n: Translator = englishMessages()): string {
  return utcFormat(i18n.locale, 'date').format(ms);
}

/** "09:12 UTC". */
function formatTimeOfDay(ms: number, i18n: Translator): string {
  return i18n.text('time.timeOfDay', { time: utcFormat(i18n.locale, 'time').format(ms) });
}

/** "12 March 2025, 09:12 UTC". */
export function formatDateTime(ms: number, i18n: Translator = englishMessages()): string {
  return i18n.text('time.dateTime', { date: formatDate(ms, i18n), time: utcFormat(i18n.locale, 'time').format(ms) });
}

/**
 * How long ago `ms` was at `now`: "just now", "5 minutes ago", "2 hours ago", "3 days ago", then
 * the date ("12 March 2025") from a week on. A moment in the future (clock skew) is "just now".
 */
export function timeAgo(ms: number, now: number, i18n: Translator = englishMessages()): string {
  const age = now - ms;
  if (age < MINUTE) return i18n.text('time.justNow');
  if (age < HOUR) return i18n.text('time.minutesAgo', { count: Math.floor(age / MINUTE) });
  if (age < DAY) return i18n.text('time.hoursAgo', { count: Math.floor(age / HOUR) });
  if (age < 7 * DAY) return i18n.text('time.daysAgo', { count: Math.floor(age / DAY) });
  return formatDate(ms, i18n);
}

/** {@link timeAgo} with the exact time, for `<time>`. */
export function shownTimeAgo(ms: number, now: number, i18n: Translator = englishMessages()): ShownTime {
  return { text: timeAgo(ms, now, i18n), iso: new Date(ms).toISOString(), exact: formatDateTime(ms, i18n) };
}

/**
 * How long until `ms`, rounded up: "1 minute", "15 minutes", "2 hours", "1 hour 30 minutes"
 * (at least a minute: "in 0 minutes" would read as "now" and invite an attempt that fails).
 */
export function durationUntil(ms: number, now: number, i18n: Translator = englishMessages()): string {
  const minutes = Math.max(1, Math.ceil((ms - now) / MINUTE));
  if (minutes < 60) return i18n.text('time.minutes', { count: minutes });
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? i18n.text('time.hours', { count: hours }) : i18n.text('time.hoursMinutes', { hours, minutes: rest });
}

/**
 * When something may be tried again: "14:35 UTC" on the same (UTC) day, else with the date
 * ("13 March 2025, 00:10 UTC"). Rounded up to the minute, so the time shown is never too early.
 */
export function retryTime(ms: number, now: number, i18n: Translator = englishMessages()): ShownTime {
  const at = Math.ceil(ms / MINUTE) * MINUTE;
  const sameDay = new Date(at).toISOString().slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  return { text: sameDay ? formatTimeOfDay(at, i18n) : formatDateTime(at, i18n), iso: new Date(at).toISOString(), exact: formatDateTime(at, i18n) };
}
