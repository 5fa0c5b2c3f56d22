// The pipeline's one entry point: lint -> bundle -> types -> client -> docs, for every API in redocly.yaml.
//   npm run build [-- <api-id>...]        everything, skipping steps whose inputs did not change
//   npm run generate                      rewrite generated/ only (bundle, types, client)
//   tsx scripts/build.ts --only sandbox   build the sandbox package (mocks/dist/)
//   tsx scripts/build.ts --only generate --out <dir> --no-cache   write generated/ under another root (drift test)
import { parseArgs } from 'node:util';
import { loadApis, projectRoot, selectApis } from './lib/apis.ts';
import { StepError, StepRunner, type Step } from './lib/steps.ts';
import { bundleStep } from './steps/bundle.ts';
import { clientStep } from './steps/client.ts';
import { codeSamplesStep } from './steps/code-samples.ts';
import { docsPageStep } from './steps/docs.ts';
import { docsIndexStep } from './steps/docs-index.ts';
import { faviconStep } from './steps/favicon.ts';
import { sandboxApisStep } from './steps/sandbox-apis.ts';
import { sandboxPackageStep } from './steps/sandbox-package.ts';
import { sandboxGuideStep } from './steps/sandbox-guide.ts';
import { distStep } from './steps/dist.ts';
import { lintStep } from './steps/lint.ts';
import { withBuildLock } from './lib/build-lock.ts';
import { typesStep } from './steps/types.ts';
import { validatorsStep } from './steps/validators.ts';
import { sandboxValidatorsStep } from './steps/sandbox-validators.ts';
import { entryStep } from './steps/webhooks-entry.ts';
import { webhooksStep } from './steps/webhooks.ts';

const STAGES = ['lint', 'generate', 'dist', 'sandbox', 'docs'] as const;
type Stage = (typeof STAGES)[number];

export interface BuildOptions {
  ids?: string[];
  only?: Stage;
  outRoot?: string;
  cache?: boolean;
  log?: (line: string) => void;
}

export async function build(options: BuildOptions = {}): Promise<StepRunner> {
  const outRoot = options.outRoot ?? projectRoot;
  // A build into another root (the drift test's) touches nothing of this tree.
  return outRoot === projectRoot ? withBuildLock(projectRoot, () => buildSteps(options, outRoot), options.log) : buildSteps(options, outRoot);
}

async function buildSteps(options: BuildOptions, outRoot: string): Promise<StepRunner> {
  const root = projectRoot;
  const apis = selectApis(loadApis(root), options.ids ?? []);
  const wants = (stage: Stage) => !options.only || options.only === stage;
  const runner = new StepRunner(root, options.cache ?? outRoot === root, options.log);
  const steps: Step[] = [];
  if (wants('lint')) steps.push(lintStep(apis, root));
  try {
    for (const step of steps) await runner.run(step);
    if (wants('generate')) {
      // Bundling spawns the Redocly CLI: run the APIs side by side, then the in-process steps in order.
      await Promise.all(apis.map((api) => runner.run(bundleStep(api, root, outRoot))));
      for (const api of apis) {
        await runner.run(typesStep(api, root, outRoot));
        await runner.run(clientStep(api, root, outRoot));
        await runner.run(validatorsStep(api, root, outRoot));
        await runner.run(sandboxValidatorsStep(api, root, outRoot));
        await runner.run(webhooksStep(api, root, outRoot));
        await runner.run(entryStep(api, root, outRoot));
        await runner.run(codeSamplesStep(api, root, outRoot));
      }
      // The sandbox's table covers every API, whichever were asked for.
      if (apis.length === loadApis(root).length) await runner.run(sandboxApisStep(apis, root, outRoot));
    }
    // dist/ (the published package) compiles every API's generated modules; only for the real tree.
    if (wants('dist') && outRoot === root) await runner.run(distStep(loadApis(root), root));
    // mocks/dist/ (the sandbox package): its CLI, library and every API's files.
    if (wants('sandbox') && outRoot === root) await runner.run(sandboxPackageStep(loadApis(root), root));
    if (wants('docs') && outRoot === root) {
      await Promise.all(apis.map((api) => runner.run(docsPageStep(api, root))));
      await runner.run(docsIndexStep(loadApis(root), root));
      await runner.run(faviconStep(root));
      await runner.run(sandboxGuideStep(loadApis(root), root));
    }
  } finally {
    runner.save();
  }
  return runner;
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      only: { type: 'string' },
      out: { type: 'string' },
      'no-cache': { type: 'boolean', default: false },
    },
  });
  if (values.only && !STAGES.includes(values.only as Stage)) {
    throw new Error(`--only must be one of ${STAGES.join(', ')}, got "${values.only}"`);
  }
  const started = performance.now();
  const runner = await build({
    ids: positionals,
    only: values.only as Stage | undefined,
    outRoot: values.out,
    cache: values['no-cache'] ? false : undefined,
  });
  const ran = runner.results.filter((result) => result.outcome === 'ran').length;
  console.log(`build: ${ran} step(s) ran, ${runner.results.length - ran} skipped, ${Math.round(performance.now() - started)} ms`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    // A failed step already printed its file and reason on its own line.
    console.error(error instanceof StepError ? 'build failed' : `build failed: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  });
}
