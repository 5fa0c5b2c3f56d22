// `npm start`: the sandbox's mocks from this working tree at once (the committed bundles under generated/), and the
// reference site on 4000 once built. The build (lint, generate, dist, docs) runs behind the mocks; when it changes a
// bundle (a spec was edited), the mocks restart on the same ports to serve it.
// `npm run mock -- <id>`: one API's mock, without the reference site.
// Both go through the sandbox package's own `start` command (mocks/cli/start.ts); only the site and the build are ours.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exitWhenFlushed, runCli } from '../mocks/cli/run.ts';
import type { RunningSandbox } from '../mocks/start-sandbox.ts';
import { DOCS_PORT, projectRoot } from './lib/apis.ts';
import { createDocsServer } from './lib/docs-server.ts';
import { repositoryCatalogue } from './lib/sandbox-catalogue.ts';

const argv = process.argv.slice(2);
const oneMock = argv[0] === '--mock';
const rest = oneMock ? argv.slice(1) : argv;
// Options of ours, taken out before the sandbox's `start` parses the rest.
const take = (name: string, hasValue: boolean): string | boolean | undefined => {
  const at = rest.indexOf(`--${name}`);
  if (at < 0) return undefined;
  const value = hasValue ? rest[at + 1] : true;
  rest.splice(at, hasValue ? 2 : 1);
  return value;
};
const noBuild = take('no-build', false) === true;
const docsPortOption = take('docs-port', true);
const docsPort = Number(docsPortOption ?? process.env.DOCS_PORT ?? DOCS_PORT);
if (!Number.isInteger(docsPort) || docsPort < 0 || docsPort > 65535) {
  console.error(`npm start: --docs-port ${String(docsPortOption)} is not a port number`);
  process.exit(2);
}

const catalogue = repositoryCatalogue();
const fingerprint = () => createHash('sha256').update(catalogue.map((api) => readFileSync(api.spec, 'utf8') + readFileSync(api.declaration, 'utf8')).join('\n')).digest('hex');

let docsServer: ReturnType<typeof createDocsServer> | undefined;

exitWhenFlushed(await runCli(['start', ...rest], {
  catalogue,
  command: () => (oneMock ? 'npm run mock --' : 'npm start --'),
  startHooks: {
    positionalsAreApis: oneMock,
    async started(sandbox: RunningSandbox, { host, log }) {
      const served = Object.keys(sandbox.urls);
      const before = fingerprint();
      const hostInUrl = host.includes(':') ? `[${host}]` : host;
      let siteOrigin: string | undefined;
      if (!oneMock) {
        docsServer = createDocsServer(join(projectRoot, 'docs'));
        await new Promise<void>((resolveListen, reject) => {
          docsServer!.once('error', (error: NodeJS.ErrnoException) =>
            reject(new Error(error.code === 'EADDRINUSE' ? `port ${docsPort} (reference site) is already in use on ${host}: stop whatever holds it, or choose another (--docs-port)` : error.message)),
          );
          docsServer!.listen(docsPort, host, () => resolveListen());
        });
        siteOrigin = `http://${hostInUrl}:${(docsServer.address() as AddressInfo).port}`;
      }
      if (!noBuild) {
        const started = performance.now();
        // Behind the mocks: lint, bundles, types, clients, the package and the site, each step skipped when unchanged.
        // Imported only now: the pipeline's tools (openapi-typescript, esbuild, Redocly's runner) must not delay the mocks.
        import('./build.ts')
          .then(({ build }) => build({ ids: oneMock ? served : [], only: oneMock ? 'generate' : undefined, log: () => {} }))
          .then(() => {
            if (siteOrigin) log(`Reference site ready: ${siteOrigin}/ (built in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
            if (fingerprint() !== before) log('A spec changed: the build rewrote generated/; restart npm start to serve it (and commit generated/).');
          })
          .catch((error: Error) => log(`build failed (the mocks keep serving the committed bundles): ${error.message}`));
      }
      if (!siteOrigin) return {};
      return {
        rows: [['reference site', siteOrigin]],
        column: { header: 'Docs', values: Object.fromEntries(served.map((id) => [id, `${siteOrigin}/${id}/`])) },
      };
    },
    stopped: () => new Promise<void>((resolveClose) => (docsServer ? (docsServer.closeAllConnections(), docsServer.close(() => resolveClose())) : resolveClose())),
  },
}));
