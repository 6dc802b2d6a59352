import type { OrderStatusEvent } from '@shop/contracts';

/**
 * An order's status events as they arrive on one stream (server-sent events) opened at `url`:
 * `done` settles once the server ends the stream (rejects if it could not be opened), `ended()`
 * says whether it did; `close()` aborts it.
 */
export function followStatus(url: string): { events: OrderStatusEvent[]; done: Promise<void>; ended: () => boolean; close: () => void } {
  const events: OrderStatusEvent[] = [];
  const abort = new AbortController();
  let ended = false;
  const done = (async () => {
    const response = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
    if (response.status !== 200 || !response.body) throw new Error(`${url} answered ${response.status}`);
    let buffer = '';
    for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (/^event: /m.test(block)) continue; // heartbeats are named; status events are not
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data) events.push(JSON.parse(data) as OrderStatusEvent);
      }
    }
    ended = true;
  })();
  done.catch(() => undefined); // read by the caller; an abort at the end is not a failure
  return { events, done, ended: () => ended, close: () => abort.abort() };
}
