import type { SignInRequested } from '@shop/contracts';
import type { ShopIdentity } from './order-emails';
import { signInDecision, signInEmail } from './sign-in-email';

const SHOP: ShopIdentity = {
  name: 'Decoupled <Shop> & Co',
  url: 'https://shop.example',
  from: 'Decoupled Shop <orders@shop.example>',
  mailDomain: 'shop.example',
};
const LINK_ID = '5b0f8c1e-7d2a-4c3b-9e4f-1a2b3c4d5e6f';
// Base64url and a dot, as a signed token is, plus characters that must be encoded in a URL.
const TOKEN = 'eyJsaW5rSWQiOiI1YjBmOGMxZSJ9.c2lnbmF0dXJlLW9mLXRoZS1saW5r+/=&"<x>';
const link: SignInRequested = {
  schemaVersion: 1,
  linkId: LINK_ID,
  email: 'ada@example.com',
  token: TOKEN,
  expiresAt: '2026-12-02T04:45:30.000Z',
  requestedAt: '2026-12-02T04:30:30.000Z',
};

describe('the sign-in email', () => {
  const email = signInEmail(link, SHOP);
  const url = `https://shop.example/orders/sign-in#token=${encodeURIComponent(TOKEN)}`;

  it('carries the token in the fragment of the link, never in a query', () => {
    expect(email.text).toContain(`See your orders: ${url}`);
    expect(email.html).toContain(`<a href="${url}">See your orders</a>`);
    for (const body of [email.text, email.html]) {
      const [href] = /https:\/\/shop\.example\/orders\/sign-in[^\s"<]*/.exec(body)!;
      const parsed = new URL(href);
      expect(parsed.search).toBe('');
      expect(new URLSearchParams(parsed.hash.slice(1)).get('token')).toBe(TOKEN);
    }
  });

  it('says until when it works, once, and what to do if the shopper did not ask', () => {
    expect(email.subject).toBe('Your link to your orders at Decoupled <Shop> & Co');
    for (const body of [email.text, email.html]) {
      expect(body).toContain('The link works once, until Dec 2, 2026, 4:45 AM UTC.');
      expect(body).toContain('If you did not ask for it, ignore this email; nobody can see your orders without it.');
    }
  });

  it('has a Message-ID derived from the link id and names its event', () => {
    expect(email).toMatchObject({ linkId: LINK_ID, messageId: `<sign-in.${LINK_ID}@shop.example>`, to: { name: '', address: 'ada@example.com' } });
    expect(email.headers).toEqual({ 'X-Shop-Event': 'signin.requested' });
    // The same event renders the same email: a redelivery is a recognisable duplicate.
    expect(signInEmail(link, SHOP)).toEqual(email);
  });

  it('escapes the shop name in the HTML', () => {
    expect(email.html).toContain('<h1 style="font-size: 1.3em;">Decoupled &lt;Shop&gt; &amp; Co</h1>');
    expect(email.html).not.toContain('<Shop>');
  });
});

describe('signInDecision', () => {
  it.each([
    ['long before the expiry', '2026-12-02T04:30:31.000Z', 'send'],
    ['a millisecond before the expiry', '2026-12-02T04:45:29.999Z', 'send'],
    ['at the expiry', '2026-12-02T04:45:30.000Z', 'expired'],
    ['a millisecond after the expiry', '2026-12-02T04:45:30.001Z', 'expired'],
    ['a day after the expiry (the service was down)', '2026-12-03T04:45:30.000Z', 'expired'],
  ])('%s: %s → %s', (_, now, decision) => {
    expect(signInDecision(link, new Date(now))).toBe(decision);
  });
});
