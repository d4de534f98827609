import { isDeprecated, instantOf, type DeprecationConfig } from './deprecation-config';

/**
 * What every answer of a deprecated version carries. Its keys are the names of the headers (REST) and the
 * trailing metadata (gRPC) that carry it, lower case; a key without a value is left out, so the object is
 * sent as it is. Worked out once, when the config is applied: a request only hands it on.
 */
export type DeprecationNotice = {
  /** RFC 9745 `Deprecation`: a structured-field date, `@<unix seconds>`. */
  readonly deprecation: string;
  /** RFC 8594 `Sunset`: an HTTP-date (IMF-fixdate), when there is a sunset. */
  readonly sunset?: string;
  /** RFC 8288 `Link`: the link as rel="deprecation", and as rel="sunset" (RFC 8594 §3) with a sunset, when there is a link. */
  readonly link?: string;
};

/** The deprecation of a version in force: its config (config.json's, or the admin API's), and what it means. */
export interface Deprecation {
  /** As configured, for GET /v1/models. */
  readonly config: DeprecationConfig;
  /** The instant Deprecation names (epoch ms): the configured date, else when this replica first applied the deprecation. */
  readonly deprecatedAt: number;
  readonly sunsetAt: number | undefined;
  /** From this instant (epoch ms) requests are refused: the sunset with after_sunset "refuse"; Infinity when they never are. */
  readonly refusedFrom: number;
  /** When this replica first applied a deprecation to the version, kept while it stays deprecated. */
  readonly firstApplied: number;
  readonly notice: DeprecationNotice;
}

type DeprecationEntries = Readonly<Record<string, DeprecationConfig>>;

/**
 * The deprecation in force for every version either config names: per version, the run-time config's
 * entry replaces config.json's whole (an admin entry `{}` takes the deprecation away; a version the
 * run-time config does not name keeps config.json's). `previous`: the deprecations in force until now,
 * so that a version deprecated without a date keeps the date it was first given.
 */
export function deprecationsOf(
  file: DeprecationEntries | undefined,
  overrides: DeprecationEntries | undefined,
  previous: ReadonlyMap<number, Deprecation> | undefined,
  now: number,
): ReadonlyMap<number, Deprecation> {
  const deprecations = new Map<number, Deprecation>();
  for (const key of new Set([...Object.keys(file ?? {}), ...Object.keys(overrides ?? {})])) {
    const config = overrides && Object.hasOwn(overrides, key) ? overrides[key] : file![key];
    const version = Number(key);
    const deprecation = config && deprecationOf(config, previous?.get(version), now);
    if (deprecation) deprecations.set(version, deprecation);
  }
  return deprecations;
}

/**
 * One version's deprecation, or undefined when the config does not deprecate it. RFC 9745 has only a
 * date form (its drafts' `Deprecation: true` is gone), so `deprecated: true`, and a sunset given alone,
 * send the time this replica first applied the deprecation, never later than the sunset: "deprecated at
 * least since then". Replicas started at other times send other dates; a configured date is the same everywhere.
 */
export function deprecationOf(config: DeprecationConfig, previous: Deprecation | undefined, now: number): Deprecation | undefined {
  if (!isDeprecated(config)) return undefined;
  const sunsetAt = config.sunset === undefined ? undefined : instantOf(config.sunset);
  const firstApplied = previous?.firstApplied ?? now;
  const deprecatedAt = typeof config.deprecated === 'string' ? instantOf(config.deprecated) : Math.min(firstApplied, sunsetAt ?? Infinity);
  const refusedFrom = config.after_sunset === 'refuse' && sunsetAt !== undefined ? sunsetAt : Infinity;
  return { config, deprecatedAt, sunsetAt, refusedFrom, firstApplied, notice: noticeOf(deprecatedAt, sunsetAt, config.link) };
}

/** Whether a request arriving at `now` (epoch ms) is refused: after the sunset of a version that says `refuse`. */
export function isRefused(deprecation: Deprecation, now: number): boolean {
  return now >= deprecation.refusedFrom;
}

function noticeOf(deprecatedAt: number, sunsetAt: number | undefined, link: string | undefined): DeprecationNotice {
  // WHATWG's serialization percent-encodes spaces, quotes, < and > and turns a non-ASCII host into
  // punycode: the URL can sit between < > in a header as it is.
  const href = link === undefined ? undefined : new URL(link).href;
  return {
    // Structured-field dates are whole seconds; HTTP-dates too (toUTCString drops the milliseconds).
    deprecation: `@${Math.floor(deprecatedAt / 1000)}`,
    ...(sunsetAt === undefined ? {} : { sunset: new Date(sunsetAt).toUTCString() }),
    // No `type`: the service does not know what the page is. rel="sunset" (RFC 8594 §3) points at the
    // same page, which is where a client learns about the sunset too.
    ...(href === undefined ? {} : { link: `<${href}>; rel="deprecation"` + (sunsetAt === undefined ? '' : `, <${href}>; rel="sunset"`) }),
  };
}
