/** The client's address is the one the platform appended, whatever the client wrote before it. */
import { expect, it } from 'vitest';
import { clientAddress } from './client-address.ts';

const request = (forwardedFor: string | undefined, peer = '10.1.2.3') => ({
  get: (name: string) => (name.toLowerCase() === 'x-forwarded-for' ? forwardedFor : undefined),
  socket: { remoteAddress: peer },
});

it('takes the last entry, which the platform appends, not the ones the client wrote', () => {
  expect(clientAddress(request('198.51.100.7'), 0)).toBe('198.51.100.7');
  expect(clientAddress(request('1.1.1.1, 2.2.2.2,198.51.100.7'), 0)).toBe('198.51.100.7');
  expect(clientAddress(request('spoofed with spaces, 198.51.100.7 '), 0)).toBe('198.51.100.7');
});

it('skips the entries trusted proxies append after it', () => {
  expect(clientAddress(request('1.1.1.1, 198.51.100.7, 35.191.0.1'), 1)).toBe('198.51.100.7');
});

it('is the peer when no proxy says otherwise', () => {
  expect(clientAddress(request(undefined), 0)).toBe('10.1.2.3');
  expect(clientAddress(request(' , '), 0)).toBe('10.1.2.3');
  expect(clientAddress(request('198.51.100.7'), 1)).toBe('10.1.2.3');
});
