/**
 * The demo shop: seeded into order-service's catalog and inventory-service's stock by their
 * migrations, so both start with the same skus. Prices are in cents.
 */
export interface DemoProduct {
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  imageUrl: string;
  initialStock: number;
}

export const DEMO_CATALOG: readonly DemoProduct[] = [
  {
    sku: 'MUG-001',
    name: 'Stoneware Mug',
    description: 'A 350 ml mug, glazed in speckled sand.',
    priceCents: 1800,
    imageUrl: '/images/mug.svg',
    initialStock: 120,
  },
  {
    sku: 'TEE-002',
    name: 'Organic Cotton Tee',
    description: 'Heavyweight crew neck in washed black.',
    priceCents: 2900,
    imageUrl: '/images/tee.svg',
    initialStock: 80,
  },
  { sku: 'CAP-003', name: 'Canvas Cap', description: 'Six-panel cap with a brass buckle.', priceCents: 2400, imageUrl: '/images/cap.svg', initialStock: 60 },
  {
    sku: 'BAG-004',
    name: 'Market Tote',
    description: 'Waxed canvas tote that carries 15 kg.',
    priceCents: 3900,
    imageUrl: '/images/tote.svg',
    initialStock: 45,
  },
  {
    sku: 'NBK-005',
    name: 'Dot-Grid Notebook',
    description: 'A5, 192 pages of 100 g paper, lay-flat.',
    priceCents: 1400,
    imageUrl: '/images/notebook.svg',
    initialStock: 200,
  },
  { sku: 'PEN-006', name: 'Brass Pen', description: 'Machined brass, refillable, ages well.', priceCents: 4500, imageUrl: '/images/pen.svg', initialStock: 35 },
  {
    sku: 'BTL-007',
    name: 'Insulated Bottle',
    description: '750 ml steel bottle, cold for 24 hours.',
    priceCents: 3200,
    imageUrl: '/images/bottle.svg',
    initialStock: 70,
  },
  {
    sku: 'SCK-008',
    name: 'Merino Socks',
    description: 'Two pairs of cushioned merino socks.',
    priceCents: 2200,
    imageUrl: '/images/socks.svg',
    initialStock: 150,
  },
  {
    sku: 'CND-009',
    name: 'Cedar Candle',
    description: 'Soy wax, cedar and smoke, 40 hours.',
    priceCents: 2600,
    imageUrl: '/images/candle.svg',
    initialStock: 40,
  },
  {
    sku: 'PLN-010',
    name: 'Desk Planter',
    description: 'Terracotta planter with a drainage dish.',
    priceCents: 1900,
    imageUrl: '/images/planter.svg',
    initialStock: 55,
  },
  {
    sku: 'LMP-011',
    name: 'Reading Lamp',
    description: 'Dimmable LED lamp with a linen shade.',
    priceCents: 8900,
    imageUrl: '/images/lamp.svg',
    initialStock: 20,
  },
  {
    sku: 'BLK-012',
    name: 'Wool Blanket',
    description: 'Lambswool throw, 130 by 180 cm.',
    priceCents: 11900,
    imageUrl: '/images/blanket.svg',
    initialStock: 15,
  },
];
