import type { Browser } from 'playwright-core';

/** Launches the Chromium the browser tests use, headless, through playwright-core. */
export function launchChromium(): Promise<Browser>;
