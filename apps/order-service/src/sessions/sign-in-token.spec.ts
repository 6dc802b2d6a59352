import { signSignInToken, verifySignInToken, type SignInTokenCheck } from './sign-in-token';

const SECRET = 'a-sign-in-secret-of-at-least-32-characters';
const LINK_ID = '5d6c1a2b-3e4f-4a5b-8c7d-9e0f1a2b3c4d';
const TTL_S = 900;
const issuedAt = new Date('2030-05-01T10:00:00.000Z');
const expiresAt = new Date(issuedAt.getTime() + TTL_S * 1000);
const token = signSignInToken(LINK_ID, expiresAt, SECRET);
const [version, id, expiry, mac] = token.split('.');
const at = (seconds: number) => new Date(issuedAt.getTime() + seconds * 1000);
/** The same characters with the one at `index` replaced by another base64url character. */
const flip = (text: string, index: number) => text.slice(0, index) + (text[index] === 'A' ? 'B' : 'A') + text.slice(index + 1);
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The same bytes spelled otherwise: the last character's lowest bit is beyond the data (16 bytes in 22 characters, 32 in 43). */
const respell = (text: string) => text.slice(0, -1) + BASE64URL[BASE64URL.indexOf(text.at(-1)!) ^ 1];

describe('verifySignInToken', () => {
  it.each<{ name: string; token: string; secret?: string; now?: Date; expected: SignInTokenCheck }>([
    { name: 'the token as signed', token, expected: { ok: true, linkId: LINK_ID, expiresAt } },
    { name: 'one second before the expiry (ttl - 1)', token, now: at(TTL_S - 1), expected: { ok: true, linkId: LINK_ID, expiresAt } },
    { name: 'at the expiry', token, now: at(TTL_S), expected: { ok: false, reason: 'expired' } },
    { name: 'one second past the expiry (ttl + 1)', token, now: at(TTL_S + 1), expected: { ok: false, reason: 'expired' } },
    { name: 'a changed signature', token: [version, id, expiry, flip(mac, 0)].join('.'), expected: { ok: false, reason: 'tampered' } },
    { name: 'another link id under the same signature', token: [version, flip(id, 0), expiry, mac].join('.'), expected: { ok: false, reason: 'tampered' } },
    {
      name: 'a later expiry under the same signature',
      token: [version, id, String(Number(expiry) + 3600), mac].join('.'),
      expected: { ok: false, reason: 'tampered' },
    },
    { name: 'signed with another secret', token, secret: `${SECRET}-other`, expected: { ok: false, reason: 'tampered' } },
    { name: 'an empty string', token: '', expected: { ok: false, reason: 'malformed' } },
    { name: 'three parts', token: [version, id, expiry].join('.'), expected: { ok: false, reason: 'malformed' } },
    { name: 'five parts', token: `${token}.x`, expected: { ok: false, reason: 'malformed' } },
    { name: 'another version', token: ['v2', id, expiry, mac].join('.'), expected: { ok: false, reason: 'malformed' } },
    { name: 'a link id that is not base64url', token: [version, `${id.slice(0, 21)}+`, expiry, mac].join('.'), expected: { ok: false, reason: 'malformed' } },
    { name: 'a link id of the wrong length', token: [version, id.slice(1), expiry, mac].join('.'), expected: { ok: false, reason: 'malformed' } },
    { name: 'a signature with padding', token: [version, id, expiry, `${mac.slice(0, 42)}=`].join('.'), expected: { ok: false, reason: 'malformed' } },
    { name: 'a signature that is not base64url', token: [version, id, expiry, `${mac.slice(0, 42)}/`].join('.'), expected: { ok: false, reason: 'malformed' } },
    { name: 'another spelling of the link id', token: [version, respell(id), expiry, mac].join('.'), expected: { ok: false, reason: 'malformed' } },
    { name: 'another spelling of the signature', token: [version, id, expiry, respell(mac)].join('.'), expected: { ok: false, reason: 'malformed' } },
    { name: 'an expiry that is not a number', token: [version, id, 'soon', mac].join('.'), expected: { ok: false, reason: 'malformed' } },
    { name: 'an expiry with a leading zero', token: [version, id, `0${expiry}`, mac].join('.'), expected: { ok: false, reason: 'malformed' } },
  ])('$name', ({ token: presented, secret, now, expected }) => {
    expect(verifySignInToken(presented, secret ?? SECRET, now ?? issuedAt)).toEqual(expected);
  });

  it('a token is v1, a 22-character link id, the expiry in seconds and a 43-character signature', () => {
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
    expect(Number(expiry)).toBe(expiresAt.getTime() / 1000);
  });
});
