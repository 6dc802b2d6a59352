/** The shopper's name and email from their last order, to prefill checkout and "my orders". */
export interface SavedCustomer {
  name: string;
  email: string;
}

const CUSTOMER_STORAGE_KEY = 'shop.customer.v1';

export function loadCustomer(): SavedCustomer {
  try {
    const saved = JSON.parse(window.localStorage.getItem(CUSTOMER_STORAGE_KEY) ?? '{}') as Partial<SavedCustomer>;
    return { name: typeof saved.name === 'string' ? saved.name : '', email: typeof saved.email === 'string' ? saved.email : '' };
  } catch {
    return { name: '', email: '' };
  }
}

/** Forgets the saved name and email (a shared computer: the next shopper should not find them prefilled). */
export function forgetCustomer(): void {
  try {
    window.localStorage.removeItem(CUSTOMER_STORAGE_KEY);
  } catch {
    // Storage disabled: nothing was saved.
  }
}

export function saveCustomer(customer: SavedCustomer): void {
  try {
    window.localStorage.setItem(CUSTOMER_STORAGE_KEY, JSON.stringify(customer));
  } catch {
    // Storage disabled: the shopper types their details again next time.
  }
}
