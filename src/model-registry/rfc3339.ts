/**
 * RFC 3339 §5.6 `date-time`, with its time zone: `2027-06-01T00:00:00Z`, `2027-06-01T02:00:00.5+02:00`.
 * A date alone, or a time without a zone, is refused rather than guessed: "2027-06-01" is a different
 * instant in every zone, and a sunset must mean one instant for every replica and every client.
 */
export const RFC3339_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** The instant (epoch ms) of an RFC 3339 date-time, or why it is not one. */
export function parseRfc3339(text: string): { at: number } | { wrong: string } {
  const match = RFC3339_DATE_TIME.exec(text);
  if (!match) return { wrong: 'not of the form YYYY-MM-DDThh:mm:ss with a time zone (Z or ±hh:mm)' };
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const fraction = match[7] ? Math.floor(Number(`0${match[7]}`) * 1000) : 0;
  // Date.parse would roll 2027-02-30 over into March: each field is checked against the calendar here.
  if (month < 1 || month > 12) return { wrong: `month ${match[2]} does not exist` };
  if (day < 1 || day > daysIn(year, month)) return { wrong: `day ${match[3]} does not exist in ${match[1]}-${match[2]}` };
  // Second 60 is RFC 3339's leap second; the instant after 59 stands for it.
  if (hour > 23 || minute > 59 || second > 60) return { wrong: `time ${match[4]}:${match[5]}:${match[6]} does not exist` };
  let offsetMinutes = 0;
  if (!match[8]) {
    const [offsetHours, offsetMins] = [Number(match[10]), Number(match[11])];
    if (offsetHours > 23 || offsetMins > 59) return { wrong: `time zone ${match[9]}${match[10]}:${match[11]} does not exist` };
    offsetMinutes = (match[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const instant = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0 to 99 as 1900 to 1999.
  instant.setUTCFullYear(year, month - 1, day);
  instant.setUTCHours(hour, minute, second, fraction);
  return { at: instant.getTime() - offsetMinutes * 60_000 };
}

/** The instant as RFC 3339 in UTC, whole seconds without a fraction: how messages show a configured date. */
export function formatRfc3339(at: number): string {
  return new Date(at).toISOString().replace(/\.000Z$/, 'Z');
}

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}
