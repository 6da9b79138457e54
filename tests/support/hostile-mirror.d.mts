/**
 * A mirror on 127.0.0.1: `/endless/…` never ends, `/stall/…` sends 10 bytes of `body` then nothing, `/huge-length/…`
 * announces 10 GiB, `/ok/…` sends `body`, anything else is 404. `requests` holds every request's path.
 */
export function serveHostileMirror(
  body?: Uint8Array,
): Promise<{ url: string; requests: string[]; close: () => Promise<void> }>;
