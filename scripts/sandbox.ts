// `npm run emit | proxy | check-receiver -- ...`: the sandbox package's own commands (mocks/cli/), run on this
// working tree's specs instead of the package's copies.
import { exitWhenFlushed, runCli } from '../mocks/cli/run.ts';
import { repositoryCatalogue } from './lib/sandbox-catalogue.ts';

const [command, ...rest] = process.argv.slice(2);
exitWhenFlushed(await runCli([command ?? '--help', ...rest], { catalogue: repositoryCatalogue(), command: (name) => `npm run ${name} --` }));
