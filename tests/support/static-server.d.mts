/** Serves `mounts` (URL prefix → directory) on 127.0.0.1 at a free port, with `headers` on every file. */
export function serveDirectories(
  mounts: Record<string, string>,
  headers?: Record<string, string>,
): Promise<{ url: string; close: () => Promise<void> }>;
