/** Time and identifiers, as ports so tests can fix them. */
import { randomBytes } from 'node:crypto';

export interface Clock {
  now(): Date;
}

export interface IdSource {
  newId(): string;
}

export const systemClock: Clock = { now: () => new Date() };

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 20-character random ids over 62 symbols, like Firestore's auto ids. */
export const randomIds: IdSource = {
  newId() {
    const bytes = randomBytes(40);
    let id = '';
    for (const b of bytes) {
      if (b < 248) id += ALPHABET[b % 62];
      if (id.length === 20) return id;
    }
    return id.padEnd(20, 'A');
  },
};
