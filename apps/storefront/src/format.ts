/** The demo catalog is priced in US dollars; the API carries cents only. */
const SHOP_CURRENCY = 'USD';
const SHOP_LOCALE = 'en-US';

const money = new Intl.NumberFormat(SHOP_LOCALE, { style: 'currency', currency: SHOP_CURRENCY });
const dateTime = new Intl.DateTimeFormat(SHOP_LOCALE, { dateStyle: 'medium', timeStyle: 'short' });
const time = new Intl.DateTimeFormat(SHOP_LOCALE, { timeStyle: 'short' });

export const formatPrice = (cents: number): string => money.format(cents / 100);
export const formatDateTime = (iso: string): string => dateTime.format(new Date(iso));
export const formatTime = (iso: string): string => time.format(new Date(iso));

/** Order ids are uuids; shoppers recognise an order by its first block. */
export const shortOrderId = (orderId: string): string => orderId.slice(0, 8).toUpperCase();

export const plural = (count: number, one: string, many = `${one}s`): string => `${count} ${count === 1 ? one : many}`;
