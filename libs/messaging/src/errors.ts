/** The broker is not reachable right now; the caller keeps the message (the outbox row) and retries. */
export class BrokerUnavailableError extends Error {
  override name = 'BrokerUnavailableError';
}

/** The broker returned a `mandatory` message: no queue is bound for it, so it would be lost. */
export class UnroutableMessageError extends Error {
  override name = 'UnroutableMessageError';
}

/**
 * The broker refused a publish (basic.nack): an internal error, or a queue full that rejects
 * publishes. It does not have the message; the caller keeps it and tries again.
 */
export class PublishNackedError extends Error {
  override name = 'PublishNackedError';
}

/** The broker did not confirm a publish in time; it may or may not have the message. */
export class PublishTimeoutError extends Error {
  override name = 'PublishTimeoutError';
}

/**
 * The handler knows this message can never succeed (a mail server refused its recipient for good):
 * it is dead-lettered at once, this error's message as the reason, without the retries an unknown
 * failure gets. Whatever the handler must keep of it (a log row) it commits before throwing.
 */
export class UnprocessableMessageError extends Error {
  override name = 'UnprocessableMessageError';
}
