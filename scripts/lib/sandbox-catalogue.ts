// The sandbox's catalogue read from this working tree: the committed bundles under generated/ and each spec's
// sandbox.yaml, so the repository's `npm start`, `npm run emit`, `proxy` and `check-receiver` serve what is being
// edited. The installed package ships the same files under dist/apis/ (scripts/steps/sandbox-package.ts).
import { join } from 'node:path';
import type { SandboxApiFiles } from '../../mocks/catalogue.ts';
import { loadApis, projectRoot } from './apis.ts';

export function repositoryCatalogue(root = projectRoot): SandboxApiFiles[] {
  return loadApis(root).map((api) => ({
    id: api.id,
    port: api.port,
    spec: join(root, 'generated', api.id, 'openapi.json'),
    declaration: join(root, api.specDir, 'sandbox.yaml'),
  }));
}
