/** Lists: filters, sorts, paging and cursors: in-process run (functions on in-memory adapters). */
import { listSuite } from './list.suite.ts';
import { useInProcessApi } from './use-in-process.ts';

listSuite(useInProcessApi());
