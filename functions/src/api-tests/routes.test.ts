/** Every route of the manifest: in-process run (functions on in-memory adapters). */
import { routesSuite } from './routes.suite.ts';
import { useInProcessApi } from './use-in-process.ts';

routesSuite(useInProcessApi());
