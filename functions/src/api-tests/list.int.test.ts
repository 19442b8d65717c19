/** Lists: filters, sorts, paging and cursors: integration run (HTTP to the local stack on the emulators). */
import { listSuite } from './list.suite.ts';
import { useStackApi } from './use-stack.ts';

listSuite(useStackApi());
