// Serves the built reference site (docs/) as static files, the way any static host would. A request it cannot
// serve (malformed URL, a method other than GET/HEAD, a file that vanished) gets a 4xx, never a thrown error.
import { createReadStream, statSync, type Stats } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.yaml': 'application/yaml',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

function plain(reply: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) {
  if (reply.headersSent) return void reply.destroy();
  const body = `${text}\n`;
  reply.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers }).end(body);
}

const statOf = (file: string): Stats | undefined => {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
};

export function createDocsServer(docsDir: string): Server {
  const server = createServer((request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(reply, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    const rawPath = (request.url ?? '/').split(/[?#]/)[0]!;
    let pathname: string;
    try {
      pathname = decodeURIComponent(rawPath);
    } catch {
      return plain(reply, 400, 'bad request: the path has a malformed percent-encoding');
    }
    if (pathname.includes('\0')) return plain(reply, 400, 'bad request: the path holds a NUL byte');
    let file = normalize(join(docsDir, pathname));
    if (file !== docsDir && !file.startsWith(docsDir + sep)) return plain(reply, 403, 'forbidden');
    let stats = statOf(file);
    if (stats?.isDirectory()) stats = statOf((file = join(file, 'index.html')));
    if (!stats?.isFile()) return plain(reply, 404, `not found: ${encodeURI(pathname)}`);
    reply.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': stats.size });
    if (request.method === 'HEAD') return void reply.end();
    const stream = createReadStream(file);
    stream.on('error', () => reply.destroy());
    stream.pipe(reply);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const body = 'bad request: not a valid HTTP request\n';
    socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
  });
  return server;
}
