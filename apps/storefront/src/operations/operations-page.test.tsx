import { screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { installFakeApi, json, shopRoutes, systemStatus } from '../test/fake-api';
import { renderShop } from '../test/render-shop';
import { OPERATIONS_POLL_MS } from './operations-page';

const TOKEN = 'operator-token-of-16-or-more';
const refused = (status: number, message: string) => () => json({ statusCode: status, error: status === 401 ? 'Unauthorized' : 'Forbidden', message }, status);

const figure = (label: string) => screen.getByText(label, { selector: 'dt' }).nextElementSibling as HTMLElement;

async function enterToken(user: ReturnType<typeof renderShop>['user'], token = TOKEN) {
  const field = await screen.findByLabelText('Admin token');
  await user.type(field, token);
  await user.click(screen.getByRole('button', { name: 'Show the figures' }));
}

describe('operations page', () => {
  afterEach(() => {
    window.sessionStorage.clear();
    vi.useRealTimers();
  });

  it('asks for the token in a password field that the browser does not fill in', async () => {
    installFakeApi(shopRoutes());
    renderShop('/operations');

    const field = await screen.findByLabelText('Admin token');
    expect(field).toHaveAttribute('type', 'password');
    expect(field).toHaveAttribute('autocomplete', 'off');
  });

  it('sends the token as a bearer credential, keeps it in sessionStorage only, and shows the figures', async () => {
    const figures = { ...systemStatus({ inventoryOnline: false, queueDepth: 3, backlog: 2 }), checkedAt: '2030-05-01T10:00:00.000Z' };
    const api = installFakeApi({ ...shopRoutes(), 'GET /api/operations/status': () => json(figures) });
    const { user } = renderShop('/operations');
    await enterToken(user);

    expect(await screen.findByText('Inventory consumers')).toBeInTheDocument();
    const request = api.requests.find((candidate) => candidate.url.endsWith('/api/operations/status'))!;
    expect(request.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
    expect(window.sessionStorage.getItem('shop.operations.adminToken')).toBe(TOKEN);
    expect(Object.values(window.localStorage).join(' ')).not.toContain(TOKEN);

    expect(figure('Inventory')).toHaveTextContent('offline');
    expect(figure('Inventory consumers')).toHaveTextContent('0');
    expect(figure("Orders waiting in inventory's queue")).toHaveTextContent('3');
    expect(figure('Outbox backlog')).toHaveTextContent('2 events, oldest 4 s');
    expect(figure('Broker')).toHaveTextContent('reachable');
    expect(figure('Checked at').querySelector('time')).toHaveAttribute('datetime', '2030-05-01T10:00:00.000Z');
  });

  it('reads the figures again every 5 s with the token kept in the tab', async () => {
    window.sessionStorage.setItem('shop.operations.adminToken', TOKEN);
    let answers = 0;
    installFakeApi({
      ...shopRoutes(),
      'GET /api/operations/status': () => json({ ...systemStatus({ queueDepth: ++answers === 1 ? 7 : 0 }) }),
    });
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderShop('/operations');

    expect(await screen.findByText('7')).toBeInTheDocument();
    await vi.advanceTimersByTimeAsync(OPERATIONS_POLL_MS);
    await vi.waitFor(() => expect(figure("Orders waiting in inventory's queue")).toHaveTextContent('0'));
  });

  it('says "unknown" for figures the broker could not give', async () => {
    window.sessionStorage.setItem('shop.operations.adminToken', TOKEN);
    const status = systemStatus({ inventoryOnline: false });
    installFakeApi({
      ...shopRoutes(),
      'GET /api/operations/status': () => json({ ...status, broker: { reachable: false }, inventory: { online: false, queueDepth: null, consumers: null } }),
    });
    renderShop('/operations');

    expect(await screen.findByText('unreachable')).toBeInTheDocument();
    expect(figure('Inventory consumers')).toHaveTextContent('unknown');
    expect(figure("Orders waiting in inventory's queue")).toHaveTextContent('unknown');
  });

  it('clears a token the service refuses (401) and says so', async () => {
    installFakeApi({ ...shopRoutes(), 'GET /api/operations/status': refused(401, 'Authorization: a valid admin token is required') });
    const { user } = renderShop('/operations');
    await enterToken(user, 'a-wrong-token-of-16-chars');

    expect(await screen.findByRole('alert')).toHaveTextContent('The order service refused that token (401), so it was cleared.');
    expect(window.sessionStorage.getItem('shop.operations.adminToken')).toBeNull();
    expect(screen.getByLabelText('Admin token')).toHaveValue('');
    expect(screen.queryByText('Inventory consumers')).not.toBeInTheDocument();
  });

  it('says the operator view is off when the service has no ADMIN_TOKEN (403)', async () => {
    installFakeApi({ ...shopRoutes(), 'GET /api/operations/status': refused(403, 'this admin endpoint is off: ADMIN_TOKEN is not configured') });
    const { user } = renderShop('/operations');
    await enterToken(user);

    expect(await screen.findByRole('alert')).toHaveTextContent('The operator view is off: the order service has no ADMIN_TOKEN configured.');
    expect(screen.queryByText('Inventory consumers')).not.toBeInTheDocument();
  });

  it('is reached from a small footer link, not from the shop nav', async () => {
    installFakeApi(shopRoutes());
    const { user } = renderShop('/');

    expect(within(screen.getByRole('navigation')).queryByRole('link', { name: 'Operators' })).not.toBeInTheDocument();
    await user.click(within(screen.getByRole('contentinfo')).getByRole('link', { name: 'Operators' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Operations' })).toBeInTheDocument();
  });
});
