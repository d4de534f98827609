import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (apt-get install -y chromium); playwright-core never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/**
 * Browser tests run where Chromium is installed, and always in CI (.ci/run installs it): there a
 * missing browser fails the launch instead of skipping the tests.
 */
export const runBrowserTests = hasChromium || Boolean(process.env.CI);

/** Flags that keep Chromium off this closed network and working as root in a container (every browser test uses them). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless Chromium with a fresh temporary profile of its own (Playwright's); `extraArgs` add to CHROMIUM_ARGS. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/**
 * A hostname that resolves to 127.0.0.1 in a browser launched with HOSTNAME_ARGS. Unlike 127.0.0.1 and
 * localhost, Chromium does not treat it as a potentially trustworthy origin: over plain HTTP it is what a
 * user reaching the service by a cluster DNS name, a NodePort or an Ingress without TLS gets.
 */
export const NON_LOCAL_HOSTNAME = 'models.test';
export const HOSTNAME_ARGS = [`--host-resolver-rules=MAP ${NON_LOCAL_HOSTNAME} 127.0.0.1`];

export function warnIfSkipped(what: string): void {
  if (!runBrowserTests) console.warn(`\n*** ${CHROMIUM} not found: ${what} is SKIPPED (apt-get install -y chromium) ***\n`);
}
