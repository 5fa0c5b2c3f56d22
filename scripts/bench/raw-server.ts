// The throughput ceiling: a bare node:http server answering every request with the same recorded bytes.
//   node --import tsx scripts/bench/raw-server.ts <port> <body-file> <content-type>
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [port, bodyFile, contentType] = process.argv.slice(2);
const body = readFileSync(bodyFile!);
createServer((_request, reply) => {
  reply.writeHead(200, { 'content-type': contentType ?? 'application/json', 'content-length': body.length });
  reply.end(body);
}).listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
