/** Idempotency-Key replays: in-process run (functions on in-memory adapters). */
import { idempotencySuite } from './idempotency.suite.ts';
import { useInProcessApi } from './use-in-process.ts';

idempotencySuite(useInProcessApi());
