/** Media in lists and on tasks: lists, attachments: integration run (HTTP to the local stack, its storage emulator and Pub/Sub). */
import { mediaListsSuite } from './media-lists.suite.ts';
import { useStackMediaApi } from './use-stack.ts';

mediaListsSuite(useStackMediaApi());
