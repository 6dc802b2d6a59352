import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installFakeApi, json, productBySku, shopRoutes } from '../test/fake-api';
import { renderShop } from '../test/render-shop';

const cardOf = async (name: string) => (await screen.findByRole('article', { name })) as HTMLElement;

describe('catalog', () => {
  it('shows each product with its price and stock', async () => {
    installFakeApi(shopRoutes());
    renderShop('/');

    const blanket = await cardOf('Wool Blanket');
    expect(within(blanket).getByText('$119.00')).toBeInTheDocument();
    expect(await within(blanket).findByText('Only 15 left')).toBeInTheDocument();
    expect(await within(await cardOf('Dot-Grid Notebook')).findByText('In stock')).toBeInTheDocument();
  });

  it('keeps selling when inventory is unreachable and says stock is confirmed after ordering', async () => {
    installFakeApi({ ...shopRoutes(), 'GET /api/stock': () => new Response('Bad Gateway', { status: 502 }) });
    const { user } = renderShop('/');

    const mug = await cardOf('Stoneware Mug');
    expect(await within(mug).findByText('Stock confirmed after you order')).toBeInTheDocument();
    const add = within(mug).getByRole('button', { name: 'Add to cart: Stoneware Mug' });
    expect(add).toBeEnabled();
    await user.click(add);
    expect(within(mug).getByText('1 in your cart')).toBeInTheDocument();
  });

  it('marks a sold-out product and does not offer it', async () => {
    installFakeApi({
      ...shopRoutes(),
      'GET /api/stock': () => json([{ sku: 'LMP-011', available: 0, updatedAt: new Date().toISOString() }]),
    });
    renderShop('/');

    const lamp = await cardOf('Reading Lamp');
    expect(await within(lamp).findByText('Sold out', { selector: '.stock-badge' })).toBeInTheDocument();
    expect(within(lamp).getByRole('button', { name: /Sold out/ })).toBeDisabled();
  });

  it('asks the server for the search and sort the URL holds, and says how many match', async () => {
    const api = installFakeApi({ ...shopRoutes(), 'GET /api/products': () => json([productBySku('MUG-001')]) });
    renderShop('/?q=mug&sort=price-asc&utm_source=mail');

    expect(await screen.findByText('1 product matches “mug”')).toBeInTheDocument();
    const searches = api.requests.filter((request) => new URL(request.url).pathname === '/api/products');
    expect(searches.map((request) => new URL(request.url).search)).toEqual(['?q=mug&sort=price-asc']);
    expect(screen.getByRole('searchbox', { name: 'Search products' })).toHaveValue('mug');
    expect(screen.getByRole('combobox', { name: 'Sort by' })).toHaveValue('price-asc');
    expect(screen.getAllByRole('article')).toHaveLength(1);
  });

  it('submitting a search puts it in the URL and asks for it, ranked by relevance', async () => {
    const api = installFakeApi(shopRoutes());
    const { user } = renderShop('/');
    await screen.findByText('12 products');

    await user.type(screen.getByRole('searchbox', { name: 'Search products' }), 'cotton tee{Enter}');
    await screen.findByText('12 products match “cotton tee”');
    const last = api.requests.filter((request) => new URL(request.url).pathname === '/api/products').at(-1);
    expect(new URL(last!.url).search).toBe('?q=cotton+tee');
    expect(screen.getByRole('combobox', { name: 'Sort by' })).toHaveValue('relevance');
  });

  it('changing the sort applies at once and updates the URL', async () => {
    const api = installFakeApi(shopRoutes());
    const { user } = renderShop('/?q=mug');
    await screen.findByText('12 products match “mug”');

    await user.selectOptions(screen.getByRole('combobox', { name: 'Sort by' }), 'Price, high to low');
    await waitFor(() => {
      const last = api.requests.filter((request) => new URL(request.url).pathname === '/api/products').at(-1);
      expect(new URL(last!.url).search).toBe('?q=mug&sort=price-desc');
    });
    expect(screen.getByRole('combobox', { name: 'Sort by' })).toHaveValue('price-desc');
  });

  it('says when nothing matches and offers every product', async () => {
    installFakeApi({ ...shopRoutes(), 'GET /api/products': () => json([]) });
    renderShop('/?q=teapot');

    expect(await screen.findByText('No products match “teapot”')).toBeInTheDocument();
    expect(screen.queryByRole('article')).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'see every product' })).toHaveAttribute('href', '/');
  });

  it('shows what is wrong with the URL under its field, and asks nothing it would refuse', async () => {
    const api = installFakeApi(shopRoutes());
    renderShop('/?sort=cheapest');

    expect(await screen.findByText(/Sort must be one of featured/)).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Sort by' })).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('combobox', { name: 'Sort by' })).toHaveAccessibleDescription(/Sort must be one of featured/);
    expect(api.requests.some((request) => new URL(request.url).search.includes('cheapest'))).toBe(false);
    expect(screen.queryByRole('article')).not.toBeInTheDocument();
  });

  it("shows a 400's issue under its field", async () => {
    installFakeApi({
      ...shopRoutes(),
      'GET /api/products': () =>
        json(
          {
            statusCode: 400,
            error: 'Bad Request',
            message: 'q: must not contain such words',
            issues: [{ field: 'q', message: 'must not contain such words' }],
          },
          400,
        ),
    });
    renderShop('/?q=mug');

    expect(await screen.findByText('Search must not contain such words')).toBeInTheDocument();
    expect(screen.getByRole('searchbox', { name: 'Search products' })).toHaveAttribute('aria-invalid', 'true');
  });

  it('each card has one tab stop, the name, which links to the product page', async () => {
    installFakeApi(shopRoutes());
    renderShop('/?q=mug');

    const mug = await cardOf('Stoneware Mug');
    const links = within(mug).getAllByRole('link');
    expect(links).toHaveLength(1);
    expect(links[0]).toHaveAccessibleName('Stoneware Mug');
    expect(links[0]).toHaveAttribute('href', '/products/MUG-001');
    const imageLink = mug.querySelector('a[aria-hidden="true"]');
    expect(imageLink).toHaveAttribute('tabindex', '-1');
    expect(imageLink).toHaveAttribute('href', '/products/MUG-001');
  });
});
