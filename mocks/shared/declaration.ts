// The per-API sandbox declaration, specs/<id>/sandbox.yaml: the vendor's error envelope, which operation acts on
// which collection, and how events are delivered. Data beside the spec, so mocks/ holds no per-API code.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// The installed sandbox ships its declarations as JSON; YAML (the repository's sandbox.yaml) is parsed only when met.
const parseYaml = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);

/** Where the status and the reason go in the vendor's error body (JSON pointers into the template example). */
export interface ErrorEnvelopeDeclaration {
  /** Name under the bundle's components.responses whose example is the envelope. */
  template: string;
  /** Media type of the template to use when the response has several. */
  mediaType?: string;
  status: string;
  message: string;
  title?: string;
  /** A field -> messages map (problem details `errors`). */
  fieldErrors?: string;
  /** Pointers removed from the template: the document's placeholder members (`instance: string`). */
  omit?: string[];
}

export interface SandboxDeclaration {
  errors?: ErrorEnvelopeDeclaration;
  [section: string]: unknown;
}

const POINTER = /^(\/[^/]*)+$/;

/** Reads and checks a declaration; every problem names the file and the key. A missing file is an empty declaration. */
export function loadDeclaration(path: string | undefined): SandboxDeclaration {
  if (!path || !existsSync(path)) return {};
  let declaration: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    declaration = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
  if (declaration === null || declaration === undefined) return {};
  if (typeof declaration !== 'object' || Array.isArray(declaration)) throw new Error(`${path}: must be a mapping`);
  const errors = (declaration as SandboxDeclaration).errors;
  if (errors !== undefined) {
    if (typeof errors.template !== 'string') throw new Error(`${path}: errors.template must name a response under components.responses`);
    for (const key of ['status', 'message', 'title', 'fieldErrors'] as const) {
      const pointer = errors[key];
      if ((key === 'status' || key === 'message' || pointer !== undefined) && (typeof pointer !== 'string' || !POINTER.test(pointer))) {
        throw new Error(`${path}: errors.${key} must be a JSON pointer such as /message`);
      }
    }
    if (errors.omit !== undefined && !(Array.isArray(errors.omit) && errors.omit.every((pointer) => typeof pointer === 'string' && POINTER.test(pointer)))) {
      throw new Error(`${path}: errors.omit must be a list of JSON pointers`);
    }
  }
  return declaration as SandboxDeclaration;
}
