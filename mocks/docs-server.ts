// Serves the built reference site (docs/) as static files, the way any static host would.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.yaml': 'application/yaml',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export function createDocsServer(docsDir: string): Server {
  return createServer((request, reply) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://docs').pathname);
    let file = normalize(join(docsDir, pathname));
    if (file !== docsDir && !file.startsWith(docsDir + sep)) {
      reply.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden\n');
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      reply.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${pathname}\n`);
      return;
    }
    reply.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(reply);
  });
}
