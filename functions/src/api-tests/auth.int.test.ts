/** Accounts, sessions, profile and the admin's user routes: integration run (HTTP to the local stack on the emulators). */
import { authSuite } from './auth.suite.ts';
import { useStackApi } from './use-stack.ts';

authSuite(useStackApi());
