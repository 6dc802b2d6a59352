/** The broker is not reachable right now; the caller keeps the message (the outbox row) and retries. */
export class BrokerUnavailableError extends Error {
  override name = 'BrokerUnavailableError';
}

/** The broker returned a `mandatory` message: no queue is bound for it, so it would be lost. */
export class UnroutableMessageError extends Error {
  override name = 'UnroutableMessageError';
}

/** The broker did not confirm a publish in time; it may or may not have the message. */
export class PublishTimeoutError extends Error {
  override name = 'PublishTimeoutError';
}
