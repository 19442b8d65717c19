/** Media end to end: integration run (HTTP to the local stack, its storage emulator and Pub/Sub). */
import { mediaSuite } from './media.suite.ts';
import { useStackMediaApi } from './use-stack.ts';

mediaSuite(useStackMediaApi());
