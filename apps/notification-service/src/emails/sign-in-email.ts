import type { SignInRequested } from '@shop/contracts';
import type { OutgoingEmail } from './mailer';
import { html, type ShopIdentity } from './order-emails';

/** The sent log's kind for a sign-in link (the order emails' kinds are in libs/contracts). */
export const SIGN_IN_KIND = 'sign-in';

export interface SignInEmail extends OutgoingEmail {
  linkId: string;
}

/**
 * The email carrying a shopper's sign-in link: a pure function of the event and the shop, so a
 * redelivery renders the same message. The token rides in the URL's fragment, never its query: a
 * browser does not send the fragment to any server, so it stays out of access logs, proxies and
 * Referer headers, and a mail scanner that fetches the link does not spend it.
 */
export function signInEmail(link: SignInRequested, shop: ShopIdentity): SignInEmail {
  const url = `${shop.url}/orders/sign-in#token=${encodeURIComponent(link.token)}`;
  const until = utcDateTime(link.expiresAt);
  const subject = `Your link to your orders at ${shop.name}`;
  const intro = `Someone, most likely you, asked for a link to see the orders placed with this email address at ${shop.name}.`;
  const validity = `The link works once, until ${until}.`;
  const warning = 'If you did not ask for it, ignore this email; nobody can see your orders without it.';
  const text = ['Hello,', '', intro, '', `See your orders: ${url}`, '', validity, '', warning, '', shop.name, ''].join('\n');
  const body = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${subject}</title>
      </head>
      <body style="font-family: sans-serif; color: #222; max-width: 40em;">
        <h1 style="font-size: 1.3em;">${shop.name}</h1>
        <p>Hello,</p>
        <p>${intro}</p>
        <p><a href="${url}">See your orders</a></p>
        <p>${validity}</p>
        <p>${warning}</p>
        <p>${shop.name}</p>
      </body>
    </html> `;
  return {
    linkId: link.linkId,
    // No name: the request carried an address only.
    to: { name: '', address: link.email },
    subject,
    text,
    html: body.value,
    messageId: `<sign-in.${link.linkId}@${shop.mailDomain}>`,
    headers: { 'X-Shop-Event': 'signin.requested' },
  };
}

/**
 * Whether a link is still worth sending when it is consumed: one already past its expiry (the
 * service or the mail server was down longer than the link lives) would only be refused, so it is
 * logged as expired instead. At the expiry instant itself it is expired.
 */
export function signInDecision(link: Pick<SignInRequested, 'expiresAt'>, now: Date): 'send' | 'expired' {
  return now.getTime() < Date.parse(link.expiresAt) ? 'send' : 'expired';
}

const dateTimeFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
/** In UTC, as the order emails (the server does not know the shopper's time zone); the minute is cut, not rounded up. */
const utcDateTime = (iso: string) => `${dateTimeFormat.format(new Date(iso))} UTC`;
