import { CreateOutboxAndInbox1732500000000 } from './1732500000000-create-outbox-and-inbox';
import { ParkOutboxRows1764979200000 } from './1764979200000-park-outbox-rows';
import { CreateDeadLetters1764979300000 } from './1764979300000-create-dead-letters';
import { RetentionIndexes1765200000000 } from './1765200000000-retention-indexes';

/** The outbox's, inbox's and dead letters' migrations: a service runs them with its own. */
export const OUTBOX_MIGRATIONS = [
  CreateOutboxAndInbox1732500000000,
  ParkOutboxRows1764979200000,
  CreateDeadLetters1764979300000,
  RetentionIndexes1765200000000,
];
