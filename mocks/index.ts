// partner-api-sandbox: the partner sandbox of the five vendor APIs, for test suites and scripts.
//   const sandbox = await startSandbox();            // every API on free ports of 127.0.0.1
//   const redex = sandbox.api('redex').tenant({ token: 'my-team' });
//   await redex.requests();                           // what the service under test sent
export { startSandbox, type RunningSandbox, type SandboxOptions } from './start-sandbox.ts';
export {
  connectSandbox,
  SandboxError,
  type ApiId,
  type BasicCredentials,
  type BearerCredentials,
  type Credentials,
  type DeliveryRecord,
  type DeliveryResult,
  type EmitOptions,
  type JournalEntry,
  type SandboxApi,
  type SandboxConnection,
  type SandboxTenant,
  type TenantStateView,
  type WaitOptions,
  type WebhookName,
} from './connect.ts';
export { sandboxApis } from '../generated/sandbox-apis.ts';
