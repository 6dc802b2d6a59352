/** The operators' token lives for the browser tab only: sessionStorage, never localStorage or a cookie. */
const ADMIN_TOKEN_KEY = 'shop.operations.adminToken';

export function loadAdminToken(): string | null {
  return window.sessionStorage.getItem(ADMIN_TOKEN_KEY);
}

export function saveAdminToken(token: string): void {
  window.sessionStorage.setItem(ADMIN_TOKEN_KEY, token);
}

export function clearAdminToken(): void {
  window.sessionStorage.removeItem(ADMIN_TOKEN_KEY);
}

/** The operator's name, sent as X-Operator with every action (audited); asked once, kept beside the token. */
const OPERATOR_NAME_KEY = 'shop.operations.operator';

export function loadOperatorName(): string | null {
  return window.sessionStorage.getItem(OPERATOR_NAME_KEY);
}

export function saveOperatorName(name: string): void {
  window.sessionStorage.setItem(OPERATOR_NAME_KEY, name);
}
