import type { CreateOrderRequest } from '@shop/contracts';

export interface PricedLine {
  sku: string;
  productName: string;
  quantity: number;
  unitPriceCents: number;
}

export interface CatalogEntry {
  name: string;
  priceCents: number;
}

/** Lines priced from the catalog, or the index of every line whose sku the catalog does not have. */
export function priceLines(
  lines: CreateOrderRequest['lines'],
  catalog: ReadonlyMap<string, CatalogEntry>,
): { ok: true; lines: PricedLine[]; totalCents: number } | { ok: false; unknownLineIndexes: number[] } {
  const unknownLineIndexes = lines.flatMap((line, index) => (catalog.has(line.sku) ? [] : [index]));
  if (unknownLineIndexes.length > 0) return { ok: false, unknownLineIndexes };
  const priced = lines.map((line) => {
    const entry = catalog.get(line.sku)!;
    return { sku: line.sku, productName: entry.name, quantity: line.quantity, unitPriceCents: entry.priceCents };
  });
  return { ok: true, lines: priced, totalCents: priced.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0) };
}
