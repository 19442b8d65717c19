/** Tasks one at a time: CRUD, headers, limits, transitions, the If-Match race: in-process run (functions on in-memory adapters). */
import { tasksSuite } from './tasks.suite.ts';
import { useInProcessApi } from './use-in-process.ts';

tasksSuite(useInProcessApi());
