import { authorizeCancel, cancelTokenFor, isCancelTokenOf, type CancelAuthorization, type CancelCredentials } from './cancel-token';

const SECRET = 'a-cancel-token-secret-of-at-least-32-characters';
const ORDER = '5d6c1a2b-3e4f-4a5b-8c7d-9e0f1a2b3c4d';
const OTHER = '6e7d2b3c-4f5a-4b6c-9d8e-0f1a2b3c4d5e';
const token = cancelTokenFor(ORDER, SECRET);
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('the cancel token', () => {
  it('is 32 bytes as base64url, the same each time for one order and secret', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cancelTokenFor(ORDER, SECRET)).toBe(token);
    expect(cancelTokenFor(OTHER, SECRET)).not.toBe(token);
  });

  it.each([
    { name: 'the order own token', orderId: ORDER, presented: token, secret: SECRET, expected: true },
    { name: 'another order token', orderId: ORDER, presented: cancelTokenFor(OTHER, SECRET), secret: SECRET, expected: false },
    { name: 'made under another secret', orderId: ORDER, presented: token, secret: `${SECRET}-rotated`, expected: false },
    { name: 'cut short', orderId: ORDER, presented: token.slice(0, 42), secret: SECRET, expected: false },
    {
      name: 'spelled otherwise (the spare bits of the last character)',
      orderId: ORDER,
      presented: token.slice(0, -1) + BASE64URL[BASE64URL.indexOf(token.at(-1)!) ^ 1],
      secret: SECRET,
      expected: false,
    },
    { name: 'the upper-case id of the same order', orderId: ORDER.toUpperCase(), presented: token, secret: SECRET, expected: true },
  ])('$name: $expected', ({ orderId, presented, secret, expected }) => {
    expect(isCancelTokenOf(orderId, presented, secret)).toBe(expected);
  });
});

describe('authorizeCancel', () => {
  const owner = 'ada@example.com';
  it.each<[string, CancelCredentials, CancelAuthorization]>([
    ['the order token', { tokenMatches: true, sessionEmail: null }, 'allowed'],
    ['the owner session', { tokenMatches: null, sessionEmail: owner }, 'allowed'],
    ['a wrong token with the owner session', { tokenMatches: false, sessionEmail: owner }, 'allowed'],
    ['the token with someone else session', { tokenMatches: true, sessionEmail: 'eve@example.com' }, 'allowed'],
    ['a wrong token', { tokenMatches: false, sessionEmail: null }, 'forbidden'],
    ['someone else session', { tokenMatches: null, sessionEmail: 'eve@example.com' }, 'forbidden'],
    ['nothing', { tokenMatches: null, sessionEmail: null }, 'no-credentials'],
  ])('%s: %s', (_name, credentials, expected) => {
    expect(authorizeCancel(credentials, owner)).toBe(expected);
  });
});
