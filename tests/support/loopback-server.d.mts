import type { RequestListener } from 'node:http';

/** Serves `handler` on 127.0.0.1 at a free port; `url` has no trailing slash; `close` cuts open responses first. */
export function serveOnLoopback(handler: RequestListener): Promise<{ url: string; close: () => Promise<void> }>;
