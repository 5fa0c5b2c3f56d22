// Lints every API in redocly.yaml with the pinned Redocly CLI; warnings fail the build too.
import type { ApiEntry } from '../lib/apis.ts';
import { execTool, toolOutputTail } from '../lib/exec.ts';
import { StepError, type Step } from '../lib/steps.ts';

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string; location: { source: { ref: string }; pointer: string }[] }[];
}

export function lintStep(apis: ApiEntry[], root: string): Step {
  return {
    name: 'lint',
    inputs: [`${root}/redocly.yaml`, `${root}/package-lock.json`, ...apis.map((api) => `${root}/${api.specDir}`)],
    outputs: [],
    async run() {
      const result = await execTool('redocly', ['lint', ...apis.map((api) => api.id), '--format', 'json'], root);
      const jsonStart = result.stdout.indexOf('{');
      if (jsonStart < 0) throw new StepError('redocly.yaml', `redocly lint gave no report:\n${toolOutputTail(result)}`);
      // One JSON report per API, printed back to back.
      const reports = JSON.parse(`[${result.stdout.slice(jsonStart).replace(/}\s*{/g, '},{')}]`) as LintReport[];
      const report = {
        totals: {
          errors: reports.reduce((sum, each) => sum + each.totals.errors, 0),
          warnings: reports.reduce((sum, each) => sum + each.totals.warnings, 0),
        },
        problems: reports.flatMap((each) => each.problems),
      };
      if (report.totals.errors + report.totals.warnings > 0) {
        const problems = report.problems.map((problem) => {
          const where = problem.location[0];
          return `  ${where?.source.ref ?? '?'}#${where?.pointer ?? ''}: ${problem.severity} ${problem.ruleId}: ${problem.message}`;
        });
        throw new StepError(
          report.problems[0]?.location[0]?.source.ref ?? 'redocly.yaml',
          `${report.totals.errors} error(s), ${report.totals.warnings} warning(s)\n${problems.join('\n')}`,
        );
      }
    },
  };
}
