import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation, useNavigate } from 'react-router';
import { SIGN_IN_LINK_SENT_MESSAGE, type SessionView } from '@shop/contracts';
import { ApiError } from '../api/http';
import { queryKeys } from '../api/queries';
import { shopApi } from '../api/shop-api';
import { loadCustomer } from '../checkout/saved-customer';
import { TextField } from '../layout/text-field';
import { usePageTitle } from '../layout/use-page-title';
import './my-orders-page.css';

/** The words of a link the server refused (used, expired or not one of ours). */
export const SIGN_IN_LINK_REFUSED = 'This link was already used or has expired.';

/** What a page opened without a token says (a link cut short when copied, or typed by hand). */
export const SIGN_IN_LINK_INCOMPLETE = 'This link is incomplete: part of it is missing.';

/**
 * Where the emailed link lands: /orders/sign-in#token=…. The token rides in the fragment, which no
 * server log, proxy or Referer ever sees; the page takes it out of the address at once, then waits for
 * the shopper's click to exchange it (POST) for a session: mail scanners that open links and run their
 * scripts (Safe Links, Mimecast) would otherwise spend the single-use link before the shopper does.
 */
export function SignInPage() {
  usePageTitle('Sign in to your orders');
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  // Read once: the fragment is cleared right after, and the token is single-use.
  const [token] = useState(() => new URLSearchParams(location.hash.replace(/^#/, '')).get('token'));
  const spent = useRef(false);
  const signIn = useMutation({
    mutationFn: shopApi.signIn,
    retry: false,
    onSuccess: (session: SessionView) => {
      queryClient.setQueryData(queryKeys.session, session);
      void queryClient.invalidateQueries({ queryKey: queryKeys.myOrders });
      navigate('/orders', { replace: true });
    },
  });

  useEffect(() => {
    // Off the address bar and out of the history (the router replaces the entry through history.replaceState).
    if (location.hash) navigate({ pathname: location.pathname, search: location.search }, { replace: true });
    // Once, on arrival.
  }, []);

  const spend = () => {
    // The token works once: a second POST would answer 401. The button disables too, a render later.
    if (!token || spent.current) return;
    spent.current = true;
    signIn.mutate(token);
  };

  const refused = signIn.error instanceof ApiError && (signIn.error.status === 401 || signIn.error.status === 400);
  return (
    <div className="page page--narrow">
      <h1 tabIndex={-1}>Sign in to your orders</h1>
      {!token && (
        <>
          <div className="notice notice--error" role="alert">
            <p>{SIGN_IN_LINK_INCOMPLETE} Open it again from the email, or ask for a new one below.</p>
          </div>
          <SignInLinkForm />
        </>
      )}
      {token && !signIn.isError && (
        <>
          <p>This link from your email lists the orders placed with your address. It works once.</p>
          <div>
            <button type="button" className="button button--primary" onClick={spend} disabled={!signIn.isIdle}>
              Sign me in
            </button>
          </div>
          {/* Mounted before the click, so screen readers announce the sentence when it appears. */}
          <p className="muted sign-in-note" role="status">
            {(signIn.isPending || signIn.isSuccess) && 'Signing you in…'}
          </p>
        </>
      )}
      {refused && (
        <>
          <div className="notice notice--error" role="alert">
            <p>{SIGN_IN_LINK_REFUSED} Ask for a new one below.</p>
          </div>
          <SignInLinkForm />
        </>
      )}
      {signIn.isError && !refused && (
        <div className="notice notice--error" role="alert">
          <p>
            {tooMany(signIn.error)
              ? 'Too many sign-in attempts from here just now. Please wait a few minutes and open the link again.'
              : "We couldn't sign you in right now. Please check your connection and open the link again."}
          </p>
          <p>
            <Link to="/orders">My orders</Link>
          </p>
        </div>
      )}
    </div>
  );
}

/**
 * "Email me a link to my orders". The answer is the same sentence whether or not the address has orders
 * (the server answers 202 either way), so the form tells nobody which addresses shop here.
 */
export function SignInLinkForm() {
  const [email, setEmail] = useState(() => loadCustomer().email);
  const request = useMutation({ mutationFn: shopApi.requestSignInLink, retry: false });
  const fieldIssue =
    request.error instanceof ApiError && request.error.status === 400 ? request.error.body?.issues?.find((issue) => issue.field === 'email') : undefined;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = email.trim();
    if (trimmed) request.mutate(trimmed);
  };

  return (
    <>
      <form className="lookup-form" onSubmit={submit} aria-label="Email me a link to my orders">
        <TextField
          id="sign-in-email"
          label="Email used at checkout"
          type="email"
          autoComplete="email"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          error={fieldIssue && `Email ${fieldIssue.message}`}
          required
        />
        <button type="submit" className="button button--primary" disabled={request.isPending}>
          Email me a link to my orders
        </button>
      </form>
      {/* Mounted before the answer, so screen readers announce the sentence when it appears. */}
      <p role="status" className="sign-in-note">
        {request.isSuccess && SIGN_IN_LINK_SENT_MESSAGE}
      </p>
      {request.isError && !fieldIssue && (
        <p className="notice notice--error" role="alert">
          {tooMany(request.error)
            ? 'Too many links were asked for just now. Please wait a few minutes and try again.'
            : "We couldn't send the link right now. Please try again."}
        </p>
      )}
    </>
  );
}

function tooMany(error: Error | null): boolean {
  return error instanceof ApiError && error.status === 429;
}
