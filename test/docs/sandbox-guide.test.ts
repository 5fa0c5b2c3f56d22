// The sandbox guide's commands work as printed: every shell block of docs/sandbox/index.html is run in page order
// against real mocks (one per API, free ports standing in for 4010-4014) and a local receiver standing in for
// the guide's https://127.0.0.1:9000/hook. A curl line must answer 2xx, or what its `# -> ...` comment says; an
// `npx partner-api-sandbox emit` line must deliver to the receiver. The first emit line also runs through the
// working tree's emit CLI.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../scripts/build.ts';
import { loadApis, projectRoot } from '../../scripts/lib/apis.ts';
import { docsDir } from '../../scripts/steps/docs.ts';
import { GUIDE_RECEIVER } from '../../scripts/steps/sandbox-guide.ts';
import { runToEnd, startServer, type LocalServer } from '../support/cli.ts';
import { startMock, type RunningMock } from '../support/mock.ts';

const apis = loadApis();
const receiverUrl = new URL(GUIDE_RECEIVER);

/** Shell words of one command: single quotes, backslash-newline continuations, a trailing `# comment` apart. */
function shellWords(command: string): { words: string[]; comment?: string } {
  const words: string[] = [];
  let word: string | undefined;
  let comment: string | undefined;
  const text = command.replace(/\\\n/g, ' ');
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed quote in: ${command}`);
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (char === '\\') {
      word = (word ?? '') + text[++i];
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (char === '#' && word === undefined) {
      comment = text.slice(i + 1).trim();
      break;
    } else word = (word ?? '') + char;
  }
  if (word !== undefined) words.push(word);
  return { words, comment };
}

interface CurlRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** The options the guide's curl lines use: -X, -H, -u, --data-raw. Anything else is a test failure. */
function curlRequest(words: string[]): CurlRequest {
  const request: CurlRequest = { url: '', method: 'GET', headers: {} };
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    if (word === '-X') request.method = words[++i]!;
    else if (word === '-H') {
      const [name, ...value] = words[++i]!.split(':');
      request.headers[name!.trim()] = value.join(':').trim();
    } else if (word === '-u') request.headers.Authorization = `Basic ${Buffer.from(words[++i]!).toString('base64')}`;
    else if (word === '--data-raw') {
      request.body = words[++i]!;
      if (request.method === 'GET') request.method = 'POST';
    } else if (word.startsWith('-')) throw new Error(`the guide uses a curl option this test does not know: ${word}`);
    else request.url = word;
  }
  return request;
}

function guideBlocks(): string[] {
  const html = readFileSync(join(docsDir(projectRoot), 'sandbox', 'index.html'), 'utf8');
  const unescape = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return [...html.matchAll(/<pre><code class="shell">([\s\S]*?)<\/code><\/pre>/g)].map((match) => unescape(match[1]!));
}

describe('the sandbox guide, run as printed', () => {
  const mocks = new Map<number, RunningMock>();
  let receiver: LocalServer;
  const received: string[] = [];
  let blocks: string[] = [];

  beforeAll(async () => {
    await build({ only: 'docs', log: () => {} });
    blocks = guideBlocks();
    for (const api of apis) mocks.set(api.port, await startMock(api.id, { retryDelaysMs: [], attemptTimeoutMs: 2000 }));
    receiver = await startServer((request, _body, reply) => {
      received.push(request.url ?? '');
      reply.writeHead(204).end();
    });
  });
  afterAll(async () => {
    await Promise.all([...mocks.values()].map((mock) => mock.close()));
    await receiver?.close();
  });

  /** The guide's ports and receiver, swapped for the ones this test holds. */
  function localise(text: string): string {
    const receiverPort = new URL(receiver.origin).port;
    return text
      .replace(/http:\/\/127\.0\.0\.1:(\d+)/g, (_whole, port: string) => {
        // A port with no mock of ours would reach whatever listens there (someone's npm start): fail instead.
        const mock = mocks.get(Number(port));
        if (!mock) throw new Error(`the guide names port ${port}, which is no API's mock port`);
        return mock.origin;
      })
      .replaceAll(`${receiverUrl.hostname}:${receiverUrl.port}`, `${receiverUrl.hostname}:${receiverPort}`);
  }

  async function checkDeliveries(label: string, answer: Response) {
    expect(answer.status, label).toBe(200);
    const deliveries = (await answer.json()) as { url: string; status: number | null; error: string | null }[];
    const mine = deliveries.filter((delivery) => new URL(delivery.url).port === new URL(receiver.origin).port);
    expect(mine.length, `${label}: no delivery reached the subscribed receiver (${JSON.stringify(deliveries)})`).toBeGreaterThan(0);
    for (const delivery of mine) expect(delivery, label).toMatchObject({ status: 204, error: null });
  }

  it('has the commands of every section: run, control API, faults, and each API', () => {
    expect(blocks[0]).toBe('npm install --save-dev partner-api-sandbox && npx partner-api-sandbox start');
    const text = blocks.join('\n');
    for (const endpoint of ['/_sandbox/state', '/_sandbox/reset', '/_sandbox/deliveries', '/_sandbox/events', '/_sandbox/requests']) expect(text).toContain(endpoint);
    for (const prefer of ['delay=', 'fault=503', 'fault=reset']) expect(text).toContain(`Prefer: ${prefer}`);
    for (const api of apis) expect(text).toContain(`http://127.0.0.1:${api.port}`);
  });

  it('answers every curl line as the guide says, and every emit line delivers to the subscribed receiver', async () => {
    let curls = 0;
    let emits = 0;
    for (const block of blocks.slice(1)) {
      const { words, comment } = shellWords(localise(block));
      const label = block.split('\n')[0]!;
      if (words[0] === 'curl') {
        curls++;
        const request = curlRequest(words);
        const expected = /^-> (\d{3}|connection reset)$/.exec(comment ?? '')?.[1];
        const sent = fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
        if (expected === 'connection reset') {
          // The socket closed under the request, not any failure (a refused connection, a bad URL).
          await expect(sent, label).rejects.toMatchObject({ cause: { code: expect.stringMatching(/^(UND_ERR_SOCKET|ECONNRESET)$/) } });
          continue;
        }
        const answer = await sent;
        if (request.url.endsWith('/_sandbox/events')) await checkDeliveries(label, answer);
        else if (expected) expect(answer.status, label).toBe(Number(expected));
        else expect(answer.status, `${label}: ${await answer.clone().text()}`).toBeLessThan(300);
      } else if (words[0] === 'npx' && words[1] === 'partner-api-sandbox' && words[2] === 'emit') {
        emits++;
        // npx partner-api-sandbox emit <id> <webhook> --example <name> (--token <t> | --user <u> --password <p>): what the CLI posts.
        const [id, webhook, ...options] = words.slice(3);
        const option = (name: string) => options[options.indexOf(`--${name}`) + 1];
        const api = apis.find((candidate) => candidate.id === id)!;
        const authorization = options.includes('--token') ? `Bearer ${option('token')}` : `Basic ${Buffer.from(`${option('user')}:${option('password')}`).toString('base64')}`;
        const answer = await fetch(`${mocks.get(api.port)!.origin}/_sandbox/events`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify({ webhook, example: option('example') }),
        });
        await checkDeliveries(label, answer);
      } else throw new Error(`the guide shows a command this test cannot run: ${label}`);
    }
    expect(curls).toBeGreaterThan(10);
    expect(emits).toBe(blocks.filter((block) => block.startsWith('npx partner-api-sandbox emit')).length);
    expect(emits).toBeGreaterThan(0);
    // The deliveries the mocks report as answered 204 are the ones this receiver took, at the guide's path.
    expect(received.length).toBeGreaterThan(0);
    expect(new Set(received)).toEqual(new Set([receiverUrl.pathname]));
  });

  it('runs the first emit line through the real CLI: it prints the delivery to the receiver', async () => {
    const line = blocks.find((block) => block.startsWith('npx partner-api-sandbox emit'))!;
    const { words } = shellWords(line);
    const api = apis.find((candidate) => candidate.id === words[3])!;
    // The package's emit command, run from this working tree (the package test runs the installed one).
    const { code, output } = await runToEnd('emit', [...words.slice(3), '--url', mocks.get(api.port)!.origin]);
    expect(output).toContain(`${receiverUrl.hostname}:${new URL(receiver.origin).port}${receiverUrl.pathname}`);
    expect(output).toMatch(/\b204\b/);
    expect(code, output).toBe(0);
  });
});
