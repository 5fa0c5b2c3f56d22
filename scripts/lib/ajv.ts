// Ajv, for the steps that compile validators: loaded when such a step runs, not when the build starts, so a no-op
// build never loads it.
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
