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

/**
 * Where the emailed link lands: /orders/sign-in#token=…. The token rides in the fragment, which no
 * server log, proxy or Referer ever sees; the page takes it out of the address at once and exchanges it
 * (POST, never a GET a mail scanner could spend) for a session, then shows the shopper's orders.
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
    // StrictMode runs effects twice; a second POST would spend the token and answer 401.
    if (token && !spent.current) {
      spent.current = true;
      signIn.mutate(token);
    }
    // Once, on arrival.
  }, []);

  const refused = signIn.error instanceof ApiError && (signIn.error.status === 401 || signIn.error.status === 400);
  return (
    <div className="page page--narrow">
      <h1 tabIndex={-1}>Sign in to your orders</h1>
      {!token && (
        <>
          <p>This page opens the link we email you. Ask for one here: it lists the orders placed with that address.</p>
          <SignInLinkForm />
        </>
      )}
      {token && (signIn.isPending || signIn.isIdle || signIn.isSuccess) && (
        <p className="muted" role="status">
          Signing you in…
        </p>
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
