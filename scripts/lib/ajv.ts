// Ajv, for the steps that compile validators: loaded when such a step runs, not when the build starts, so a no-op
// build never loads it.
import { build as esbuild, type Plugin } from 'esbuild';
const importAjv = () => import('ajv');
const importFormats = () => import('ajv-formats');
const importAjv2020 = () => import('ajv/dist/2020.js');
const importStandalone = () => import('ajv/dist/standalone/index.js');

export async function loadAjv() {
  const ajv = await importAjv();
  return {
    AjvDraft7: ajv.default,
    _: ajv._,
    addFormats: (await importFormats()).default,
    Ajv2020: (await importAjv2020()).Ajv2020,
    standaloneCode: (await importStandalone()).default,
  };
}

export type AjvLibraries = Awaited<ReturnType<typeof loadAjv>>;

/**
 * Ajv's standalone code `require`s its runtime helpers: esbuild inlines them (and whatever the plugin serves) into
 * one self-contained ESM module, returned as text.
 */
export async function bundleValidatorModule(entry: string, root: string, sourcefile: string, plugin: Plugin): Promise<string> {
  const result = await esbuild({
    stdin: { contents: entry, resolveDir: root, sourcefile, loader: 'js' },
    plugins: [plugin],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    minifySyntax: true,
    treeShaking: true,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}
