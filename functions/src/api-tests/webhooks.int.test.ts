/** Webhooks: registration, URL checks, signed delivery, retries: integration run (HTTP to the local stack; the dev host ticks the retry sweep). */
import { useStackApi } from './use-stack.ts';
import { webhooksSuite } from './webhooks.suite.ts';

// The test stack sets WEBHOOK_MAX_ATTEMPTS=3 (dev/src/test-stack.ts).
webhooksSuite(useStackApi(), { maxAttempts: 3 });
