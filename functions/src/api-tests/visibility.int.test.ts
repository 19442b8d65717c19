/** Who sees and changes which task: integration run (HTTP to the local stack on the emulators). */

import { useStackApi } from './use-stack.ts';
import { visibilitySuite } from './visibility.suite.ts';

visibilitySuite(useStackApi());
