/** Idempotency-Key replays: integration run (HTTP to the local stack on the emulators). */
import { idempotencySuite } from './idempotency.suite.ts';
import { useStackApi } from './use-stack.ts';

idempotencySuite(useStackApi());
