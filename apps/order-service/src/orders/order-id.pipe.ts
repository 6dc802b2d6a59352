import { orderIdSchema } from '@shop/contracts';
import { ZodValidationPipe } from '@shop/platform';

/** An order id from the path: a uuid, else 400 naming `id`. */
export const orderIdPipe = new ZodValidationPipe(orderIdSchema, 'id');
