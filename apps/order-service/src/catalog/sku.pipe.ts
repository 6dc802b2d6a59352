import { skuSchema } from '@shop/contracts';
import { ZodValidationPipe } from '@shop/platform';

/** A sku from the path, else 400 naming `sku`. */
export const skuPipe = new ZodValidationPipe(skuSchema, 'sku');
