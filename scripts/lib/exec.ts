import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './apis.ts';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool from node_modules/.bin (never a global install) and collects its output. */
export function execTool(tool: string, args: string[], cwd = projectRoot): Promise<ExecResult> {
  const bin = join(projectRoot, 'node_modules', '.bin', tool);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, args, {
      cwd,
      // Redocly: no telemetry calls (the network is closed) and no update banners in our output.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', (error) => reject(new Error(`${tool}: ${error.message} (is it installed? run npm ci)`)));
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
  });
}

/** The last meaningful lines of a tool's output, without Redocly's boxed banners. */
export function toolOutputTail(result: ExecResult, lines = 12): string {
  return (result.stderr + '\n' + result.stdout)
    .split('\n')
    .filter((line) => line.trim() && !/[║╔╚═]/.test(line))
    .slice(-lines)
    .join('\n');
}
