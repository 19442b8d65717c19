/** Bad input never breaks a function: in-process run (functions on in-memory adapters). */
import { hostileInputSuite } from './hostile-input.suite.ts';
import { useInProcessApi } from './use-in-process.ts';

hostileInputSuite(useInProcessApi());
