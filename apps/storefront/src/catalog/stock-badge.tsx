/** Below this many, the badge tells the shopper stock is running low. */
const LOW_STOCK_THRESHOLD = 20;

interface StockBadgeProps {
  /** Units available; undefined when inventory has not answered yet, is offline, or does not know the sku. */
  available: number | undefined;
  inventoryOffline: boolean;
  /** The first answer from inventory is still on its way. */
  checking: boolean;
}

export function StockBadge(props: StockBadgeProps) {
  const { tone, text } = describeStock(props);
  return <span className={`stock-badge stock-badge--${tone}`}>{text}</span>;
}

function describeStock({ available, inventoryOffline, checking }: StockBadgeProps) {
  // Inventory being unreachable must never stop a sale: the order is accepted and stock is checked afterwards.
  if (inventoryOffline || (!checking && available === undefined)) return { tone: 'unknown', text: 'Stock confirmed after you order' };
  if (available === undefined) return { tone: 'unknown', text: 'Checking stock…' };
  if (available === 0) return { tone: 'out', text: 'Sold out' };
  if (available <= LOW_STOCK_THRESHOLD) return { tone: 'low', text: `Only ${available} left` };
  return { tone: 'in', text: 'In stock' };
}
