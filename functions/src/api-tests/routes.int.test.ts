/** Every route of the manifest: integration run (HTTP to the local stack on the emulators). */
import { routesSuite } from './routes.suite.ts';
import { useStackApi } from './use-stack.ts';

routesSuite(useStackApi());
