/** Media in lists and on tasks: lists, attachments: in-process run (functions on in-memory adapters, the storage trigger wired to the memory store). */
import { mediaListsSuite } from './media-lists.suite.ts';
import { useInProcessApi } from './use-in-process.ts';

mediaListsSuite(useInProcessApi());
