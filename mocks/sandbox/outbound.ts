// How a delivery leaves the sandbox: one HTTP(S) request per attempt, through node:http and node:https (not fetch,
// so TLS can be verified against the system's CAs plus NODE_EXTRA_CA_CERTS, or relaxed for a self-signed local
// receiver with --insecure-tls). A loopback receiver that answers the TLS handshake in plain HTTP is tried again
// over HTTP, and the attempt says so: HanChuESS's spec requires https webhook URLs, local receivers seldom have
// certificates.
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import * as tls from 'node:tls';

export interface OutboundRequest {
  method: string;
  headers: Record<string, string>;
  body: string;
}

export interface OutboundOptions {
  timeoutMs: number;
  /** Accept any certificate (a self-signed local receiver). */
  insecureTls?: boolean;
  /** Resolves the target's host (a callback guard hands back the address it checked). */
  lookup?: LookupFunction;
}

export interface OutboundResult {
  status: number | null;
  error: string | null;
  /** How the attempt went out when that is not what the URL says (plain HTTP to a loopback https URL). */
  note: string | null;
}

/** Places where Debian, Fedora and Alpine keep the system's CA bundle. */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

let trusted: { extra: string | undefined; certificates: string[] } | undefined;

/** Node's own roots, the system's CAs and NODE_EXTRA_CA_CERTS: passing `ca` replaces Node's defaults, so all of them. */
export function trustedCertificates(): string[] {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (trusted && trusted.extra === extra) return trusted.certificates;
  const certificates = [...tls.rootCertificates];
  const fromSystem = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates?.('system');
  if (fromSystem) certificates.push(...fromSystem);
  else {
    const bundle = SYSTEM_BUNDLES.find((path) => existsSync(path));
    if (bundle) certificates.push(readFileSync(bundle, 'utf8'));
  }
  if (extra && existsSync(extra)) certificates.push(readFileSync(extra, 'utf8'));
  trusted = { extra, certificates };
  return certificates;
}

export const isLoopbackHost = (host: string) => {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare.endsWith('.localhost') || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
};

/** OpenSSL's words for a peer that answered the handshake with something that is not TLS (plain HTTP). */
const PLAIN_PEER = /wrong version number|packet length too long|unknown protocol|http request/i;

function once(url: URL, request: OutboundRequest, options: OutboundOptions): Promise<{ status: number } | { error: NodeJS.ErrnoException }> {
  return new Promise((resolveAttempt) => {
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    const outgoing = send(
      url,
      {
        method: request.method,
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        timeout: options.timeoutMs,
        ...(options.lookup ? { lookup: options.lookup } : {}),
        ...(secure ? { ca: trustedCertificates(), rejectUnauthorized: !options.insecureTls, servername: isIP(url.hostname.replace(/^\[|\]$/g, '')) ? '' : url.hostname } : {}),
        agent: false,
      },
      (response: IncomingMessage) => {
        response.resume();
        response.on('end', () => resolveAttempt({ status: response.statusCode ?? 0 }));
        response.on('error', () => resolveAttempt({ status: response.statusCode ?? 0 }));
      },
    );
    const timer = setTimeout(() => outgoing.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT_ANSWER' })), options.timeoutMs);
    outgoing.on('close', () => clearTimeout(timer));
    outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs} ms`), { code: 'ETIMEDOUT_ANSWER' })));
    outgoing.on('error', (error: NodeJS.ErrnoException) => resolveAttempt({ error }));
    outgoing.end(request.body);
  });
}

const reasonOf = (error: NodeJS.ErrnoException) => (error.code === 'ETIMEDOUT_ANSWER' ? error.message : error.code ? `${error.code}${error.code.startsWith('ERR_TLS') || error.code.includes('CERT') ? `: ${error.message}` : ''}` : error.message);

/** One attempt: the status the receiver answered, or why there was none. */
export async function sendOnce(url: URL, request: OutboundRequest, options: OutboundOptions): Promise<OutboundResult> {
  const first = await once(url, request, options);
  if ('status' in first) return { status: first.status, error: first.status >= 200 && first.status < 300 ? null : `answered ${first.status}`, note: null };
  const tlsToPlainPeer = url.protocol === 'https:' && isLoopbackHost(url.hostname) && (first.error.code === 'EPROTO' || first.error.code?.startsWith('ERR_SSL')) && PLAIN_PEER.test(first.error.message);
  if (!tlsToPlainPeer) return { status: null, error: reasonOf(first.error), note: null };
  const plain = new URL(url);
  plain.protocol = 'http:';
  const note = `sent over plain HTTP: ${url.host} answered the TLS handshake in plain HTTP (loopback only)`;
  const second = await once(plain, request, options);
  if ('status' in second) return { status: second.status, error: second.status >= 200 && second.status < 300 ? null : `answered ${second.status}`, note };
  return { status: null, error: reasonOf(second.error), note };
}
