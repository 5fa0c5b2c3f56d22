// The shape of the sandbox's compiled validators module (generated/<id>/sandbox-validators.js): written by the
// pipeline (scripts/steps/sandbox-validators.ts), read by the sandbox (mocks/sandbox/compiled.ts).

/** Where a parameter is read and how its raw string becomes a value (Prism's deserializer inputs). */
export interface ParameterModel {
  name: string;
  style: string;
  explode: boolean;
  /** The schema's `type` (decides arrays and objects), as Prism reads it. */
  type?: unknown;
  /** Property names of an exploded object parameter. */
  properties?: string[];
}

/** One operation as Prism models it, with the names of its compiled validators. */
export interface OperationModel {
  method: string;
  path: string;
  operationId?: string;
  /** Alternatives of requirements, each a list of schemes: `{ type, scheme?, in?, name? }`. */
  security: Record<string, string>[][];
  query: ParameterModel[];
  header: ParameterModel[];
  pathParams: ParameterModel[];
  body?: { required: boolean; mediaTypes: string[] };
  /** Names of the exported validators, or null where Prism validates nothing (or could not compile). */
  validators: { query: string | null; header: string | null; path: string | null; bodies: Record<string, string | null> };
  /** Status code (as documented, `200`, `4XX`, `default`) -> media types. */
  responses: Record<string, string[]>;
  /** `<code> <media type>` -> exported response validator name. */
  responseValidators: Record<string, string>;
}
