import { SHOP_NAME } from '@shop/contracts';
import { useEffect } from 'react';

/** Each page names itself in the tab and for screen readers announcing the new document title. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · ${SHOP_NAME}` : SHOP_NAME;
  }, [title]);
}
