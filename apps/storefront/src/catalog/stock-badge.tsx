/** Below this many, the badge tells the shopper stock is running low. */
const LOW_STOCK_THRESHOLD = 10;

interface StockBadgeProps {
  /** Units available, or undefined when inventory has not answered (yet, or at all). */
  available: number | undefined;
  inventoryOffline: boolean;
}

export function StockBadge({ available, inventoryOffline }: StockBadgeProps) {
  const { tone, text } = describeStock(available, inventoryOffline);
  return <span className={`stock-badge stock-badge--${tone}`}>{text}</span>;
}

function describeStock(available: number | undefined, inventoryOffline: boolean) {
  // Inventory being unreachable must never stop a sale: the order is accepted and stock is checked afterwards.
  if (inventoryOffline) return { tone: 'unknown', text: 'Stock confirmed after you order' };
  if (available === undefined) return { tone: 'unknown', text: 'Checking stock…' };
  if (available === 0) return { tone: 'out', text: 'Sold out' };
  if (available <= LOW_STOCK_THRESHOLD) return { tone: 'low', text: `Only ${available} left` };
  return { tone: 'in', text: 'In stock' };
}
