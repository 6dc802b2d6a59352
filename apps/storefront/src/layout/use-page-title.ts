import { useEffect } from 'react';

const SHOP_NAME = 'Common Goods';

/** Each page names itself in the tab and for screen readers announcing the new document title. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · ${SHOP_NAME}` : SHOP_NAME;
  }, [title]);
}
