// The dispatch stage: a valid request for an operation the declaration covers is answered from the tenant's
// state (and may trigger deliveries); the answer is checked against the operation's success schema by the
// validators compiled at build time (or, without them, compiled from the bundle at run time).
import type { Deliveries } from './deliveries.ts';
import type { SandboxValidators } from './compiled.ts';
import type { Route } from './router.ts';
import type { Change, SandboxState, StateAnswer, StateRequest } from './state.ts';
import { createResponseValidator, documentedCode, schemaProblems } from './validate.ts';

export type ResponseCheck = (route: Route, status: number, body: unknown) => string[];

/** Schema problems of a success answer, from the compiled validators; the bundle's schemas at run time without them. */
export function createResponseCheck(spec: Record<string, any>, compiled: SandboxValidators | undefined): ResponseCheck {
  if (!compiled) return createResponseValidator(spec);
  return (route, status, body) => {
    const model = compiled.operationOf(route.method, route.path);
    if (!model) return [];
    const code = documentedCode(model.responses, status);
    const mediaType = code ? model.responses[code]!.find((type) => /json/i.test(type)) : undefined;
    const name = code && mediaType ? model.responseValidators[`${code} ${mediaType}`] : undefined;
    return schemaProblems(name ? compiled.validators[name] : undefined, body);
  };
}

export type Dispatched =
  | { kind: 'error'; answer: Extract<StateAnswer, { kind: 'error' }> }
  | { kind: 'answer'; status: number; body: unknown; problems: string[]; change?: Change };

/** The state's answer to a request, once any delivery it asks for is done; undefined when the state has no say. */
export async function dispatchToState(state: SandboxState, deliveries: Deliveries, check: ResponseCheck, request: StateRequest): Promise<Dispatched | undefined> {
  let answer = state.handle(request);
  if (answer?.kind === 'answer' && answer.deliver && answer.subject) {
    // The vendor delivers to the item first (HanChuESS's test), then answers it as it now stands.
    const { webhook, example, onDelivered } = answer.deliver;
    const subject = answer.subject;
    await deliveries.trigger(request.tenant, webhook, undefined, {
      item: subject,
      exampleName: example,
      onDelivered: () => (Object.assign(subject, onDelivered ?? {}), state.store.changed(request.tenant)),
    });
    answer = state.handle(request);
  }
  if (!answer) return undefined;
  if (answer.kind === 'error') return { kind: 'error', answer };
  const problems = check(request.route, answer.status, answer.body);
  if (answer.change) deliveries.onChange(answer.change.tenant, answer.change.collection, answer.change.action, answer.change.item);
  return { kind: 'answer', status: answer.status, body: answer.body, problems, change: answer.change };
}

/** True when the state answers this operation (the declaration names it). */
export function isStateful(state: SandboxState, route: Route): boolean {
  return Boolean(route.operationId && state.operations[route.operationId]);
}
