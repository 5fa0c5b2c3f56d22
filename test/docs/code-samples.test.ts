// The reference page's code samples cannot rot: tsc checks the functions in generated/<api>/code-samples.ts, and
// this test checks that the text shown on the page is the same code and type-checks exactly as printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { loadApis, projectRoot } from '../../scripts/lib/apis.ts';
import { bundlePath } from '../../scripts/steps/bundle.ts';
import { codeSamplesPath, METHODS, type OperationSample } from '../../scripts/steps/code-samples.ts';
import { withCodeSamples } from '../../scripts/steps/docs.ts';

const apis = loadApis();
const packageName = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).name as string;

interface Loaded {
  spec: Record<string, any>;
  source: string;
  module: { codeSamples: OperationSample[]; sampleClient: () => unknown } & Record<string, unknown>;
}

const loaded = new Map<string, Loaded>();
for (const api of apis) {
  loaded.set(api.id, {
    spec: JSON.parse(readFileSync(bundlePath(projectRoot, api.id), 'utf8')),
    source: readFileSync(codeSamplesPath(projectRoot, api.id), 'utf8'),
    module: await import(`../../generated/${api.id}/code-samples.ts`),
  });
}

const operationsOf = (spec: Record<string, any>) =>
  Object.entries(spec.paths ?? {}).flatMap(([path, item]: [string, any]) =>
    METHODS.filter((method) => item[method]).map((method) => `${method.toUpperCase()} ${path}`),
  );

const indent = (text: string) => text.replace(/^(?=.)/gm, '  ');

/** Type-checks sample files as printed, with `partner-api-contracts/<api>` mapped to the subpath's entry module. */
function typeCheck(files: Map<string, string>): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(projectRoot, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  })!;
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    paths: { [`${packageName}/*`]: ['./generated/*/index.ts', './generated/*/client.ts'] },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (file) => files.get(file) ?? readFile(file);
  host.fileExists = (file) => files.has(file) || fileExists(file);
  host.getSourceFile = (file, language, ...rest) =>
    files.has(file) ? ts.createSourceFile(file, files.get(file)!, language, true) : getSourceFile(file, language, ...rest);
  const program = ts.createProgram([...files.keys()], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

/** Virtual files under test/docs/ so that package.json's "type": "module" applies (top-level await). */
const sampleFile = (id: string, operationId: string) => join(projectRoot, 'test', 'docs', `__sample__${id}__${operationId}.ts`);

describe.each(apis.map((api) => api.id))('code samples of %s', (id) => {
  const { spec, source, module } = loaded.get(id)!;

  it('has one sample per operation, none for webhooks or callbacks', () => {
    const sampled = module.codeSamples.map((sample) => `${sample.method.toUpperCase()} ${sample.path}`);
    expect(sampled).toEqual(operationsOf(spec));
  });

  it('shows on the page the code that tsc checks in code-samples.ts', () => {
    const clientLine = /export function sampleClient\(\): Client \{\n {2}(.*)\n/.exec(source)?.[1];
    for (const sample of module.codeSamples) {
      const [importLine, , shownClientLine, , ...call] = sample.typescript.trimEnd().split('\n');
      expect(importLine).toBe(`import { createClient } from '${packageName}/${id}';`);
      expect(shownClientLine).toBe(clientLine);
      expect(typeof module[sample.functionName], `${sample.operationId}: no function in code-samples.ts`).toBe('function');
      expect(source, `${sample.operationId}: the page's text differs from the checked function`).toContain(
        `export async function ${sample.functionName}(client: Client): Promise<void> {\n${indent(call.join('\n'))}\n}\n`,
      );
    }
  });

  it('keeps generated/<api>/openapi.json free of x-codeSamples; the docs copy has them on operations only', () => {
    expect(JSON.stringify(spec)).not.toContain('x-codeSamples');
    const docsSpec = withCodeSamples(spec, module.codeSamples, id);
    const withSamples = Object.values(docsSpec.paths).flatMap((item: any) => METHODS.filter((m) => item[m]?.['x-codeSamples']));
    expect(withSamples).toHaveLength(operationsOf(spec).length);
    expect(JSON.stringify(docsSpec.webhooks ?? {})).not.toContain('x-codeSamples');
    const first = docsSpec.paths[module.codeSamples[0]!.path][module.codeSamples[0]!.method]['x-codeSamples'];
    expect(first.map((sample: { label: string }) => sample.label)).toEqual(['curl', 'TypeScript']);
  });

  it('curl samples call the first server with the auth header of the spec', () => {
    const server = String(spec.servers[0].url).replace(/\/+$/, '');
    for (const sample of module.codeSamples) {
      expect(sample.curl).toMatch(new RegExp(`^curl (-X ${sample.method.toUpperCase()} )?'${server.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`));
      expect(sample.curl).toMatch(/-H 'Authorization: Bearer <token>'|-u '<username>:<password>'/);
    }
  });
});

describe('TypeScript samples as printed on the page', () => {
  it('type-check against the generated types; a sample that no longer fits the spec fails', () => {
    const files = new Map<string, string>();
    for (const api of apis) {
      for (const sample of loaded.get(api.id)!.module.codeSamples) files.set(sampleFile(api.id, sample.operationId), sample.typescript);
    }
    // Control: the same kind of sample against a path the spec does not have must not type-check.
    const first = loaded.get(apis[0]!.id)!.module.codeSamples[0]!;
    const broken = sampleFile(apis[0]!.id, 'control');
    files.set(broken, first.typescript.replace(first.path, `${first.path}/not-in-the-spec`));
    const errors = typeCheck(files);
    expect(errors.filter((error) => !error.startsWith(broken))).toEqual([]);
    expect(errors.some((error) => error.startsWith(broken))).toBe(true);
  });
});
