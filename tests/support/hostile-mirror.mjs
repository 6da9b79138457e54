// A dataset mirror on 127.0.0.1 that misbehaves the ways hostile or broken servers do, for the download tests of
// mnist-data and the CLI. The first path segment picks the behaviour; the file name after it is ignored.
import { serveOnLoopback } from './loopback-server.mjs';

/**
 * Serves, under `/endless/`, a body that never ends; `/stall/`, the first 10 bytes of `body` and then nothing, with
 * the connection open; `/huge-length/`, a 10 GiB Content-Length; `/ok/`, `body`; anything else, 404. Every request's
 * path is pushed to `requests`.
 */
export async function serveHostileMirror(body = new Uint8Array(0)) {
  const requests = [];
  const server = await serveOnLoopback((request, response) => {
    const path = request.url ?? '';
    requests.push(path);
    const [, behaviour] = path.split('/');
    if (behaviour === 'endless') {
      response.writeHead(200);
      const chunk = new Uint8Array(64 * 1024);
      const pump = () => {
        while (response.write(chunk)) {}
        response.once('drain', pump);
      };
      pump();
      response.on('close', () => response.removeAllListeners('drain'));
    } else if (behaviour === 'stall') {
      response.writeHead(200);
      response.write(body.subarray(0, 10));
    } else if (behaviour === 'huge-length') {
      response.writeHead(200, { 'content-length': 10 * 1024 ** 3 });
      response.write(body.subarray(0, 10));
    } else if (behaviour === 'ok') {
      response.writeHead(200, { 'content-length': body.length }).end(body);
    } else {
      response.writeHead(404).end();
    }
  });
  return { ...server, requests };
}
