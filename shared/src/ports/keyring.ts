/**
 * A keyring: the versions of one symmetric key kept in a secret store (Secret Manager in
 * the cloud), each named by its `kid`. New values are sealed under the current (newest)
 * version; a value sealed under an older one still opens while that version exists, which
 * is what lets a key rotate without a flag day.
 */

/** One version of the key: its id (the secret's version number) and 32 bytes. */
export interface KeyVersion {
  kid: string;
  key: Uint8Array;
}

export interface Keyring {
  /** The newest version: what new values are sealed under. */
  current(): Promise<KeyVersion>;
  /** The version `kid` names; a non-retryable `SECRET.UNREADABLE` error when there is none. */
  byKid(kid: string): Promise<KeyVersion>;
}
