/** Media access: download and thumbnail, limits, who sees what: in-process run (functions on in-memory adapters, the storage trigger wired to the memory store). */
import { mediaAccessSuite } from './media-access.suite.ts';
import { useInProcessApi } from './use-in-process.ts';

mediaAccessSuite(useInProcessApi());
