// The answer stage: every answer leaves through here. Rejections (found by the fast path's validators or by
// Prism) become the vendor's envelope with Prism's status choice; the sandbox's own answers are checked against
// the operation's response schema (a mismatch is logged and named in a header, never hidden).
import type { ServerResponse } from 'node:http';
import { createErrorWriter, type Reason } from './errors.ts';
import type { Route } from './router.ts';
import type { Violation } from './request-check.ts';
import { headerSafe, send } from './transport.ts';

/** Statuses Prism answers for a request it rejects; their bodies are rewritten into the vendor's envelope. */
export const REJECTION_STATUSES = new Set([400, 401, 403, 404, 405, 406, 413, 415, 422]);

/** A violation as a reason: the field as the vendor's `errors` maps name it, and `location.field: message`. */
export function reasonOf({ path = [], message }: Violation, parameterNames: Map<string, string>): Reason {
  const segments = path.map(String);
  const location = segments[0];
  if (location === 'query' || location === 'header' || location === 'path') {
    if (segments[1]) {
      const declared = parameterNames.get(segments[1].toLowerCase()) ?? segments[1];
      message = message.replace(new RegExp(`\\b${segments[1].replace(/[^\w]/g, '\\$&')}\\b`, 'g'), declared);
      segments[1] = declared;
    } else {
      // A missing required parameter: the name is only inside the message ("must have required property 'x'").
      const missing = /required property '([^']+)'/.exec(message)?.[1];
      if (missing) {
        const declared = parameterNames.get(missing.toLowerCase()) ?? missing;
        message = message.replace(`'${missing}'`, `'${declared}'`);
        segments.push(declared);
      }
    }
  }
  const field = segments.slice(1).join('.') || segments[0] || 'request';
  return { field, text: segments.length > 1 ? `${segments.join('.')}: ${message}` : message };
}

/** How a rejected request is answered: a documented status (Prism found a response), or Prism's own problem. */
export type Rejection = { kind: 'documented'; status: number; violations: Violation[] } | { kind: 'undocumented'; status?: number; detail: string };

export interface Answers {
  /** The vendor's error body for a status (for answers written to the socket by hand). */
  envelope(status: number, reasons: Reason[]): { contentType: string; body: unknown };
  error(reply: ServerResponse, status: number, reasons: Reason[], route?: Route, extraHeaders?: Record<string, string>, message?: string): void;
  /**
   * A rejection in the vendor's envelope; returns the reasons given, or undefined when the documented status
   * is not one the sandbox rewrites (the caller answers Prism's output as is).
   */
  rejection(reply: ServerResponse, rejection: Rejection, bodyInvalid: string | undefined, route?: Route): Reason[] | undefined;
}

/** Told of every error answer, before it is written (the request journal keeps its reasons). */
export type ErrorListener = (reply: ServerResponse, status: number, reasons: Reason[], message?: string) => void;

export function createAnswers(
  spec: Record<string, any>,
  errors: Parameters<typeof createErrorWriter>[1],
  challengeOf: (route?: Route) => string,
  parameterNames: Map<string, string>,
  onError?: ErrorListener,
): Answers {
  const errorAnswer = createErrorWriter(spec, errors);

  function error(reply: ServerResponse, status: number, reasons: Reason[], route?: Route, extraHeaders: Record<string, string> = {}, message?: string) {
    onError?.(reply, status, reasons, message);
    const { contentType, body } = errorAnswer(status, reasons, route?.operation, message);
    const headers: Record<string, string> = { 'content-type': contentType, ...extraHeaders };
    if (status === 401) headers['WWW-Authenticate'] = challengeOf(route);
    send(reply, status, headers, body);
  }

  function rejection(reply: ServerResponse, rejection: Rejection, bodyInvalid: string | undefined, route?: Route): Reason[] | undefined {
    if (rejection.kind === 'undocumented') {
      // A Prism 5xx here means it could not pick an answer (no 400 documented, a schema too complex): the request's fault.
      const status = rejection.status && rejection.status < 500 ? rejection.status : 400;
      const reasons: Reason[] = bodyInvalid ? [{ field: 'body', text: bodyInvalid }] : [{ text: rejection.detail }];
      error(reply, status, reasons, route);
      return reasons;
    }
    const reasons = rejection.violations.map((violation) => reasonOf(violation, parameterNames));
    // Prism reports a media type it cannot take as a violation with code 415, then answers the documented 400.
    const unsupportedMedia = rejection.violations.some((violation) => String(violation.code) === '415');
    if (bodyInvalid) reasons.unshift({ field: 'body', text: bodyInvalid });
    if (reasons.length > 0) reply.setHeader('sl-violations', headerSafe(JSON.stringify(reasons)).slice(0, 8000));
    if (!(REJECTION_STATUSES.has(rejection.status) && (reasons.length > 0 || rejection.status === 401))) return undefined;
    error(reply, unsupportedMedia && rejection.status === 400 ? 415 : rejection.status, reasons, route);
    return reasons;
  }

  return { error, rejection, envelope: (status, reasons) => errorAnswer(status, reasons) };
}
