/**
 * The shop's one name, wherever a shopper meets it: the storefront's header, page titles and
 * index.html, and the emails' sender and signature. Renaming the shop is this line (and a rebuild:
 * the storefront is static).
 */
export const SHOP_NAME = 'Common Goods';
