import { connect, createServer } from 'node:net';

/** True when something accepts TCP connections on host:port. */
export function portIsOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const socket = connect(port, host);
    socket.once('connect', () => (socket.destroy(), resolveProbe(true)));
    socket.once('error', () => resolveProbe(false));
  });
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const server = createServer();
    server.once('error', () => resolveProbe(false));
    server.listen(port, host, () => server.close(() => resolveProbe(true)));
  });
}

/**
 * The first of `count` consecutive ports free on host right now (for `--port-base`, which numbers the mocks
 * consecutively), tried from random starting points so that parallel runs do not race for the same block.
 */
export async function freePortBlock(count: number, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    let free = true;
    for (let port = base; port < base + count && free; port++) free = await canListen(port, host);
    if (free) return base;
  }
  throw new Error(`no block of ${count} free ports found on ${host}`);
}
