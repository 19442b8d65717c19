/** Bad input never breaks a function: integration run (HTTP to the local stack on the emulators). */
import { hostileInputSuite } from './hostile-input.suite.ts';
import { useStackApi } from './use-stack.ts';

hostileInputSuite(useStackApi());
