/** Tasks one at a time: CRUD, headers, limits, transitions, the If-Match race: integration run (HTTP to the local stack on the emulators). */
import { tasksSuite } from './tasks.suite.ts';
import { useStackApi } from './use-stack.ts';

tasksSuite(useStackApi());
