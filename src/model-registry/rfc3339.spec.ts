import { describe, expect, it } from 'vitest';
import { formatRfc3339, parseRfc3339 } from './rfc3339';

describe('parseRfc3339', () => {
  it.each([
    ['2027-06-01T00:00:00Z', Date.UTC(2027, 5, 1)],
    ['2027-06-01t00:00:00z', Date.UTC(2027, 5, 1)],
    ['2027-06-01T02:30:00+02:30', Date.UTC(2027, 5, 1)],
    ['2027-05-31T19:00:00-05:00', Date.UTC(2027, 5, 1)],
    ['2027-06-01T00:00:00.25Z', Date.UTC(2027, 5, 1) + 250],
    ['2028-02-29T12:00:00Z', Date.UTC(2028, 1, 29, 12)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    // RFC 3339's leap second: read as the instant after second 59.
    ['2016-12-31T23:59:60Z', Date.UTC(2017, 0, 1)],
    // Two-digit years are not moved into the 1900s, as Date.UTC would.
    ['0099-01-01T00:00:00Z', Date.parse('0099-01-01T00:00:00Z')],
  ])('reads %s', (text, at) => {
    expect(parseRfc3339(text)).toEqual({ at });
  });

  it.each([
    ['2027-06-01', 'not of the form YYYY-MM-DDThh:mm:ss with a time zone (Z or ±hh:mm)'],
    ['2027-06-01T00:00:00', 'not of the form YYYY-MM-DDThh:mm:ss with a time zone (Z or ±hh:mm)'],
    ['2027-06-01 00:00:00Z', 'not of the form YYYY-MM-DDThh:mm:ss with a time zone (Z or ±hh:mm)'],
    ['Tue, 01 Jun 2027 00:00:00 GMT', 'not of the form YYYY-MM-DDThh:mm:ss with a time zone (Z or ±hh:mm)'],
    [' 2027-06-01T00:00:00Z', 'not of the form YYYY-MM-DDThh:mm:ss with a time zone (Z or ±hh:mm)'],
    ['2027-00-01T00:00:00Z', 'month 00 does not exist'],
    ['2027-02-29T00:00:00Z', 'day 29 does not exist in 2027-02'],
    ['1900-02-29T00:00:00Z', 'day 29 does not exist in 1900-02'],
    ['2027-04-31T00:00:00Z', 'day 31 does not exist in 2027-04'],
    ['2027-06-00T00:00:00Z', 'day 00 does not exist in 2027-06'],
    ['2027-06-01T23:60:00Z', 'time 23:60:00 does not exist'],
    ['2027-06-01T00:00:61Z', 'time 00:00:61 does not exist'],
    ['2027-06-01T00:00:00-00:60', 'time zone -00:60 does not exist'],
  ])('refuses %s: %s', (text, wrong) => {
    expect(parseRfc3339(text)).toEqual({ wrong });
  });

  it('formats an instant as RFC 3339 in UTC, without a fraction of zero', () => {
    expect(formatRfc3339(Date.UTC(2027, 5, 1))).toBe('2027-06-01T00:00:00Z');
    expect(formatRfc3339(Date.UTC(2027, 5, 1) + 5)).toBe('2027-06-01T00:00:00.005Z');
  });
});
