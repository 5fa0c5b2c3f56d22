// npm run contract-diff -- [--base <git-ref>] [--annotations] [--json] [--root <repo>] [<api-id>...]
// Compares each spec with its version at the base ref (default: the latest v* tag, else the first commit) and
// classifies every change as breaking, non-breaking or annotation-only for our users. Exits 1 when any change is
// breaking, 0 otherwise.
import { parseArgs } from 'node:util';
import { projectRoot } from './lib/apis.ts';
import { breakingChanges, contractDiff, formatReport } from './lib/contract-diff/index.ts';

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { base: { type: 'string' }, root: { type: 'string' }, annotations: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  });
  const report = await contractDiff({ root: values.root ?? projectRoot, ...(values.base ? { base: values.base } : {}), ids: positionals });
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report, { annotations: values.annotations }));
  const breaking = breakingChanges(report).length;
  if (!values.json) console.log(`\n${breaking === 0 ? 'no breaking change' : `${breaking} breaking change(s)`} since ${report.base.ref}`);
  process.exitCode = breaking > 0 ? 1 : 0;
} catch (error) {
  console.error(`contract-diff: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
