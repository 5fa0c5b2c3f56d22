// Every error the mock answers, in the vendor's own envelope: the declared template response's example, with the
// HTTP status and the reason written where the declaration points. An operation that documents the status lends
// its own example instead, so the body validates against what the spec says for that operation and status.
import { STATUS_CODES } from 'node:http';
import { firstExampleOf, pointerTokens, resolveLocalRef } from '../shared/openapi-json.ts';
import type { ErrorEnvelopeDeclaration } from '../shared/declaration.ts';

/** One reason for rejecting a request: the field (`query.ItemsPerPage`, `body.oem`) and what is wrong with it. */
export interface Reason {
  field?: string;
  text: string;
}

export interface ErrorAnswer {
  status: number;
  contentType: string;
  body: unknown;
}

/** A bundle operation object: only its responses are read here. */
export interface OperationObject {
  responses?: Record<string, unknown>;
}

type Spec = Record<string, any>;

const PROBLEM_FALLBACK: ErrorEnvelopeDeclaration = { template: '', status: '/status', title: '/title', message: '/detail' };

function pickMedia(spec: Spec, response: unknown, preferred?: string): { contentType: string; example: unknown } | undefined {
  if (!response) return undefined;
  const content = resolveLocalRef(spec, response).value?.content ?? {};
  const contentType = preferred && content[preferred] ? preferred : Object.keys(content).find((type) => /json/i.test(type));
  if (!contentType) return undefined;
  const example = firstExampleOf(spec, content[contentType]);
  return example && typeof example === 'object' && !Array.isArray(example) ? { contentType, example } : undefined;
}

function setAt(target: Record<string, unknown>, pointer: string, value: unknown) {
  const tokens = pointerTokens(pointer);
  let node: any = target;
  for (const token of tokens.slice(0, -1)) {
    if (!node[token] || typeof node[token] !== 'object') node[token] = {};
    node = node[token];
  }
  node[tokens[tokens.length - 1]!] = value;
}

function removeAt(target: Record<string, unknown>, pointer: string) {
  const tokens = pointerTokens(pointer);
  let node: any = target;
  for (const token of tokens.slice(0, -1)) node = node?.[token];
  if (node && typeof node === 'object') delete node[tokens[tokens.length - 1]!];
}

const LEAD: Record<number, string> = { 400: 'Invalid request', 401: 'Unauthorized', 422: 'Invalid request' };

/** The reason phrase lead of a message: `Invalid request: body.oem: ...`, `Method Not Allowed: ...`. */
export function messageOf(status: number, reasons: Reason[]): string {
  const lead = LEAD[status] ?? STATUS_CODES[status] ?? 'Error';
  return reasons.length ? `${lead}: ${reasons.map((reason) => reason.text).join('; ')}` : lead;
}

export function createErrorWriter(spec: Spec, declaration: ErrorEnvelopeDeclaration | undefined) {
  const envelope = declaration ?? PROBLEM_FALLBACK;
  const templateResponse = declaration ? spec.components?.responses?.[declaration.template] : undefined;
  if (declaration && !templateResponse) throw new Error(`errors.template: no response "${declaration.template}" under components.responses`);
  const apiTemplate = pickMedia(spec, templateResponse, declaration?.mediaType) ?? {
    contentType: 'application/problem+json',
    example: { type: 'about:blank', title: 'Error', status: 500, detail: '' },
  };

  /** `message` replaces the composed one (an operation's declared 404 text, in the vendor's words). */
  return function errorAnswer(status: number, reasons: Reason[], operation?: OperationObject, message?: string): ErrorAnswer {
    const own = operation?.responses?.[String(status)] ?? operation?.responses?.[`${String(status)[0]}XX`];
    const template = pickMedia(spec, own, declaration?.mediaType ?? apiTemplate.contentType) ?? apiTemplate;
    const body = structuredClone(template.example) as Record<string, unknown>;
    setAt(body, envelope.status, status);
    setAt(body, envelope.message, message ?? messageOf(status, reasons));
    if (envelope.title) setAt(body, envelope.title, STATUS_CODES[status] ?? 'Error');
    for (const pointer of envelope.omit ?? []) removeAt(body, pointer);
    if (envelope.fieldErrors) {
      const map: Record<string, string[]> = {};
      for (const reason of reasons) if (reason.field) (map[reason.field] ??= []).push(reason.text);
      setAt(body, envelope.fieldErrors, Object.keys(map).length ? map : null);
    }
    return { status, contentType: template.contentType, body };
  };
}

export type ErrorWriter = ReturnType<typeof createErrorWriter>;
