import { ValidateBy, ValidateIf, type ValidationArguments } from 'class-validator';
import { quoted } from '../common/errors/quoted';
import { formatRfc3339, parseRfc3339 } from './rfc3339';

export const AFTER_SUNSET = ['serve', 'refuse'] as const;
export type AfterSunset = (typeof AFTER_SUNSET)[number];

/** Longest `link` taken: it is repeated in a header of every answer the version gives. */
export const MAX_LINK_LENGTH = 2048;

/** The keys of a version's deprecation, in the order messages list them. */
export const DEPRECATION_KEYS = ['deprecated', 'sunset', 'link', 'after_sunset'] as const;

/**
 * How a version is deprecated and sunset, under `"versions": {"1": {...}}` in config.json and in the admin API's
 * run-time config alike: announced as deprecated (RFC 9745), given a sunset (RFC 8594), and, after it,
 * still served or refused. A version with a sunset is deprecated, `deprecated` given or not: a client told
 * that a version goes away on a date is being told it is deprecated, so it gets both headers.
 */
export class DeprecationConfig {
  /**
   * `true` (deprecated, no date given), an RFC 3339 date-time (deprecated since then, or from then on
   * when it is in the future), or `false` (not deprecated; the same as leaving it out).
   */
  @ValidateIf((config: DeprecationConfig) => config.deprecated !== undefined)
  @IsDeprecation()
  deprecated?: boolean | string;

  /** RFC 3339 date-time after which the version is past its sunset: still served, or refused (after_sunset). */
  @ValidateIf((config: DeprecationConfig) => config.sunset !== undefined)
  @IsDateTime()
  sunset?: string;

  /** Where clients read about the deprecation and what to use instead: an absolute http(s) URL. */
  @ValidateIf((config: DeprecationConfig) => config.link !== undefined)
  @IsHttpUrl()
  link?: string;

  /** After the sunset: `serve` (the default) keeps answering, with the headers; `refuse` answers 410 Gone. */
  @ValidateIf((config: DeprecationConfig) => config.after_sunset !== undefined)
  @IsAfterSunset()
  after_sunset?: AfterSunset;
}

/**
 * What the keys of one version's deprecation, each valid alone, get wrong together; undefined when
 * nothing. The caller names the file and the version before it.
 */
export function deprecationProblem(config: DeprecationConfig): string | undefined {
  const { deprecated, sunset, link, after_sunset: afterSunset } = config;
  const sunsetAt = sunset === undefined ? undefined : instantOf(sunset);
  const deprecatedAt = typeof deprecated === 'string' ? instantOf(deprecated) : undefined;
  if (sunsetAt !== undefined && deprecatedAt !== undefined && sunsetAt < deprecatedAt) {
    return `sunset ${formatRfc3339(sunsetAt)} is before deprecated ${formatRfc3339(deprecatedAt)}: a version is deprecated first, then sunset`;
  }
  if (deprecated === false && sunset !== undefined) {
    return 'deprecated is false but sunset is set: a version with a sunset is deprecated; remove one of them';
  }
  if (afterSunset !== undefined && sunset === undefined) {
    return `after_sunset "${afterSunset}" needs a sunset: the date after which it applies`;
  }
  if (link !== undefined && !isDeprecated(config)) {
    return 'link needs deprecated or sunset: it tells clients about a deprecation, and is sent only with one';
  }
  return undefined;
}

/** Whether the settings deprecate the version at all: deprecated (true or a date), or given a sunset. */
export function isDeprecated(config: DeprecationConfig): boolean {
  return (config.deprecated !== undefined && config.deprecated !== false) || config.sunset !== undefined;
}

/** The instant of a date-time the validators accepted. */
export function instantOf(dateTime: string): number {
  const parsed = parseRfc3339(dateTime);
  if ('wrong' in parsed) throw new Error(`not an RFC 3339 date-time: ${dateTime}`);
  return parsed.at;
}

function IsDeprecation(): PropertyDecorator {
  return rule('isDeprecation', (value) => typeof value === 'boolean' || whyNotDateTime(value) === undefined, (args) =>
    `${args.property} must be true, false or an RFC 3339 date-time with a time zone, such as "2027-06-01T00:00:00Z"; ${whyNotDateTime(args.value)}`,
  );
}

function IsDateTime(): PropertyDecorator {
  return rule('isRfc3339DateTime', (value) => whyNotDateTime(value) === undefined, (args) =>
    `${args.property} must be an RFC 3339 date-time with a time zone, such as "2027-12-01T00:00:00Z"; ${whyNotDateTime(args.value)}`,
  );
}

function IsHttpUrl(): PropertyDecorator {
  return rule('isHttpUrl', (value) => whyNotLink(value) === undefined, (args) =>
    `${args.property} must be an absolute http or https URL, such as "https://example.com/iris-v1-retirement"; ${whyNotLink(args.value)}`,
  );
}

function IsAfterSunset(): PropertyDecorator {
  return rule('isAfterSunset', (value) => AFTER_SUNSET.includes(value as AfterSunset), (args) =>
    `${args.property} must be "serve" or "refuse"; got ${describeValue(args.value)}`,
  );
}

function rule(name: string, validate: (value: unknown) => boolean, message: (args: ValidationArguments) => string): PropertyDecorator {
  return ValidateBy({ name, validator: { validate, defaultMessage: (args) => message(args!) } });
}

function whyNotDateTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return `got ${describeValue(value)}`;
  const parsed = parseRfc3339(value);
  return 'wrong' in parsed ? `got ${quoted(value)}: ${parsed.wrong}` : undefined;
}

function whyNotLink(value: unknown): string | undefined {
  if (typeof value !== 'string') return `got ${describeValue(value)}`;
  if (value.length > MAX_LINK_LENGTH) return `got ${value.length} characters, more than ${MAX_LINK_LENGTH}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `got ${quoted(value)}, not an absolute URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `got ${quoted(value)}, a ${url.protocol.slice(0, -1)} URL`;
  // Sent to every client that calls the version: credentials in it would be handed to all of them.
  if (url.username !== '' || url.password !== '') return `got ${quoted(value)}, which holds a user name or password`;
  return undefined;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return quoted(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
