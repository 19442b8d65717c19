/** Media access: download and thumbnail, limits, who sees what: integration run (HTTP to the local stack, its storage emulator and Pub/Sub). */
import { mediaAccessSuite } from './media-access.suite.ts';
import { useStackMediaApi } from './use-stack.ts';

mediaAccessSuite(useStackMediaApi());
