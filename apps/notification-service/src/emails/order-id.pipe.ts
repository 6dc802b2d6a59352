import { ZodValidationPipe } from '@shop/platform';
import { z } from 'zod';

/** An order id from the path: a uuid, else 400 naming `orderId`. */
export const orderIdPipe = new ZodValidationPipe(z.uuid('must be an order id (uuid)'), 'orderId');
