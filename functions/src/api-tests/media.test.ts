/** Media end to end: in-process run (functions on in-memory adapters, the storage trigger wired to the memory store). */
import { mediaSuite } from './media.suite.ts';
import { useInProcessApi } from './use-in-process.ts';

mediaSuite(useInProcessApi());
