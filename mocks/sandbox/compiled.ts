// The validators compiled at build time (generated/<id>/sandbox-validators.js, scripts/steps/sandbox-validators.ts):
// loaded by path, so the sandbox package can ship them beside its bundled specs.
import { pathToFileURL } from 'node:url';
import type { OperationModel, ParameterModel } from '../shared/validator-model.ts';

export type { OperationModel, ParameterModel };

export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: { instancePath: string; keyword: string; message?: string; params: Record<string, any> }[] | null;
}

export interface SandboxValidators {
  validators: Record<string, CompiledValidator>;
  operations: OperationModel[];
  /** The operation model of a route, by method and spec path template. */
  operationOf(method: string, path: string): OperationModel | undefined;
}

export async function loadSandboxValidators(path: string): Promise<SandboxValidators> {
  let module: { validators?: Record<string, CompiledValidator>; operations?: OperationModel[] };
  try {
    module = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new Error(`${path}: cannot load the sandbox validators (${(error as Error).message}); run npm run generate`);
  }
  if (!module.validators || !Array.isArray(module.operations)) throw new Error(`${path}: not a sandbox validators module (no validators and operations exports)`);
  const byRoute = new Map(module.operations.map((operation) => [`${operation.method} ${operation.path}`, operation]));
  return { validators: module.validators, operations: module.operations, operationOf: (method, path) => byRoute.get(`${method.toUpperCase()} ${path}`) };
}
