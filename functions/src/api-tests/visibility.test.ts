/** Who sees and changes which task: in-process run (functions on in-memory adapters). */

import { useInProcessApi } from './use-in-process.ts';
import { visibilitySuite } from './visibility.suite.ts';

visibilitySuite(useInProcessApi());
