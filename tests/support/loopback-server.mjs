// An HTTP server on 127.0.0.1 at a free port, for tests that need a real server: the docs site, dataset mirrors.
import { createServer } from 'node:http';

/** Serves `handler` (node:http's request listener) on 127.0.0.1; resolves to `{ url, close }` (no trailing slash). */
export async function serveOnLoopback(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    // Open responses (a stalled or endless body) would keep close() waiting, so they are cut first.
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
