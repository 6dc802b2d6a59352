import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/** What a test sees of a message on the broker (amqplib's ConsumeMessage fits). */
export interface ObservedMessage {
  fields: { exchange: string; routingKey: string };
  properties: { type?: string; headers?: Record<string, unknown> };
  content: Buffer;
}

interface ContractMessage {
  name: string;
  headers?: { $ref?: string } & Record<string, unknown>;
  payload: Record<string, unknown>;
  'x-schema-version': number;
  'x-amqp-properties'?: Record<string, unknown>;
}

interface AsyncApi {
  channels: Record<string, { bindings?: { amqp?: { is?: string; exchange?: { name: string } } } }>;
  components: { messages: Record<string, ContractMessage>; schemas?: Record<string, Record<string, unknown>> };
}

interface Validators {
  payload: ValidateFunction;
  headers: ValidateFunction | null;
  properties: ValidateFunction | null;
}

/**
 * Checks messages seen on the broker against an AsyncAPI document (as `asyncApiDocument()` generates it):
 * each message is looked up by its type and its payload's `schemaVersion`, then its payload, headers
 * and AMQP properties are validated with ajv against the document's JSON Schemas (draft-07).
 * `record` keeps counts per routing key and the first problems, for a suite to assert at the end.
 */
export class MessageContract {
  private readonly validators = new Map<string, Validators>();
  /** Messages checked, per message type. */
  readonly seen = new Map<string, number>();
  /** "type: problem" for every message that did not match (the first 50). */
  readonly invalid: string[] = [];
  /** The exchanges the document's routing-key channels publish to: a tap binds to each with '#'. */
  readonly exchanges: string[];

  constructor(document: unknown) {
    const { channels, components } = document as AsyncApi;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const resolve = (schema: ({ $ref?: string } & Record<string, unknown>) | undefined) =>
      schema?.$ref ? components.schemas?.[schema.$ref.replace('#/components/schemas/', '')] : schema;
    for (const message of Object.values(components.messages)) {
      const headers = resolve(message.headers);
      this.validators.set(key(message.name, message['x-schema-version']), {
        payload: ajv.compile(message.payload),
        headers: headers ? ajv.compile(headers) : null,
        properties: message['x-amqp-properties'] ? ajv.compile(message['x-amqp-properties']) : null,
      });
    }
    this.exchanges = [
      ...new Set(
        Object.values(channels)
          .map((channel) => channel.bindings?.amqp)
          .filter((amqp) => amqp?.is === 'routingKey' && amqp.exchange)
          .map((amqp) => amqp!.exchange!.name),
      ),
    ];
  }

  /** What is wrong with a message by the document (an empty list when it matches). */
  check(message: ObservedMessage): string[] {
    const type = message.properties.type ?? message.fields.routingKey;
    let payload: unknown;
    try {
      payload = JSON.parse(message.content.toString('utf8'));
    } catch (err) {
      return [`payload is not JSON (${(err as Error).message})`];
    }
    const version = (payload as { schemaVersion?: unknown } | null)?.schemaVersion;
    const validators = this.validators.get(key(type, version));
    if (!validators) return [`no message "${type}" at schema version ${String(version)} in the document`];
    const problems: string[] = [];
    if (type !== message.fields.routingKey) problems.push(`type "${type}" published under routing key "${message.fields.routingKey}"`);
    const run = (what: string, validate: ValidateFunction | null, value: unknown) => {
      if (validate && !validate(value)) problems.push(...(validate.errors ?? []).map((error) => `${what}${error.instancePath || ''} ${error.message}`));
    };
    run('payload', validators.payload, payload);
    run('headers', validators.headers, message.properties.headers ?? {});
    run('properties', validators.properties, message.properties);
    return problems;
  }

  /** Checks a message and keeps the outcome in `seen` and `invalid`. */
  record(message: ObservedMessage): void {
    const type = message.properties.type ?? message.fields.routingKey;
    this.seen.set(type, (this.seen.get(type) ?? 0) + 1);
    const problems = this.check(message);
    if (problems.length > 0 && this.invalid.length < 50) this.invalid.push(`${type}: ${problems.join('; ')}`);
  }
}

const key = (type: string, version: unknown) => `${type}@${String(version)}`;
