/** Accounts, sessions, profile and the admin's user routes: in-process run (functions on in-memory adapters). */
import { authSuite } from './auth.suite.ts';
import { useInProcessApi } from './use-in-process.ts';

authSuite(useInProcessApi());
