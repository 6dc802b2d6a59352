import { z } from 'zod';
import { customerEmailSchema, timestampSchema } from './orders';

/** Body of POST /api/sessions/link: "email me a link to my orders". */
export const signInLinkRequestSchema = z.strictObject({ email: customerEmailSchema });
export type SignInLinkRequest = z.infer<typeof signInLinkRequestSchema>;

/** Body of POST /api/sessions: the token from the link, exchanged for a session cookie. */
export const signInRequestSchema = z.strictObject({
  token: z.string({ error: 'must be the token from the link' }).min(1, 'is required').max(400, 'must be at most 400 characters'),
});
export type SignInRequest = z.infer<typeof signInRequestSchema>;

/** The one answer to a link request, whether or not the address has orders (nothing to enumerate). */
export const SIGN_IN_LINK_SENT_MESSAGE = 'If we have that address, a link to its orders is on its way. The link works once and expires soon.';
/** The 202 of POST /api/sessions/link: always SIGN_IN_LINK_SENT_MESSAGE. */
export const signInLinkSentViewSchema = z.object({ message: z.string() });

/** A shopper session: POST /api/sessions and GET /api/sessions/current. */
export const sessionViewSchema = z.object({ email: z.string(), expiresAt: timestampSchema });
export type SessionView = z.infer<typeof sessionViewSchema>;

/** The cookie that carries a shopper session (HttpOnly: the storefront never reads it). */
export const SESSION_COOKIE = 'shop_session';
