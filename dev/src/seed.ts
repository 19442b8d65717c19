/**
 * The local stack's seed data: the admin account API.md promises
 * (`admin@example.com` / `admin-password`). Runs against whatever the environment names
 * (`FIRESTORE_EMULATOR_HOST`, `FIREBASE_AUTH_EMULATOR_HOST`, ...) through the production
 * adapters, and is safe to run on every start.
 */

import { seedAdmin } from '@taskman/shared/users/seed-admin';
import { appDeps } from '@taskman/shared/wiring/app-deps';

/** The seeded admin's credentials; README and API.md quote them. */
export const LOCAL_ADMIN = {
  email: 'admin@example.com',
  password: 'admin-password',
  displayName: 'Admin',
} as const;

/** Creates the admin account if absent and makes sure it is an admin. */
export async function seedLocalAdmin(): Promise<void> {
  await seedAdmin({ ...LOCAL_ADMIN }, appDeps());
}
