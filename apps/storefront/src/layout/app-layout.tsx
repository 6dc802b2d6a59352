import { useEffect, useRef } from 'react';
import { Link, Outlet, useLocation } from 'react-router';
import { SystemStatusStrip } from '../system/system-status-strip';
import { SiteHeader } from './site-header';

export function AppLayout() {
  const main = useMoveFocusOnNavigation();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <SiteHeader />
      <SystemStatusStrip />
      <main id="main" ref={main} tabIndex={-1}>
        <Outlet />
      </main>
      <footer className="site-footer">
        <p>A reference shop: orders are accepted the moment they are saved, even while inventory is offline.</p>
        <p className="small">
          <Link to="/operations">Operators</Link>
        </p>
      </footer>
    </>
  );
}

/**
 * A client-side navigation leaves focus on the link that was clicked; move it to the new page's heading
 * (or main) so keyboard and screen-reader users start reading the page they asked for.
 */
function useMoveFocusOnNavigation() {
  const main = useRef<HTMLElement>(null);
  const { pathname } = useLocation();
  const firstRender = useRef(true);

  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const heading = main.current?.querySelector<HTMLElement>('h1');
    (heading ?? main.current)?.focus();
  }, [pathname]);

  return main;
}
