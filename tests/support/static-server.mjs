// A static file server on 127.0.0.1 for the browser tests (the docs site and the bundle smoke test): URL prefixes
// mounted on directories.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { serveOnLoopback } from './loopback-server.mjs';

const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.gz': 'application/gzip',
};

/**
 * Serves `mounts` (`{ '/wasm/': dir, '/': dir }`, longest prefix wins) at a free port, with `headers` on every file;
 * resolves to `{ url, close }`.
 */
export async function serveDirectories(mounts, headers = {}) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  return serveOnLoopback(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    const prefix = prefixes.find((candidate) => path.startsWith(candidate));
    const root = prefix === undefined ? undefined : normalize(mounts[prefix]);
    let file = root && normalize(join(root, path.slice(prefix.length)));
    if (!file || (file !== root && !file.startsWith(root + sep))) {
      response.writeHead(404).end('not found');
      return;
    }
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        file = join(file, 'index.html');
        info = await stat(file);
      }
      response.writeHead(200, {
        ...headers,
        'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
      });
      createReadStream(file).pipe(response);
    } catch {
      response.writeHead(404).end('not found');
    }
  });
}
