import type { ChannelModel } from 'amqplib';

/** What amqplib keeps behind a ChannelModel: its connection's muxer, the loop that hands queued frames to the socket. */
interface MuxedModel {
  connection?: { muxer?: { out?: { cork?: () => void; uncork?: () => void }; _readIncoming?: () => void } };
}

/**
 * Sends the frames that amqplib's writer loop finds queued in one pass as one `writev`, not one
 * `socket.write` (a syscall and, with noDelay, a packet) per frame. The loop runs once per event-loop
 * turn and writes every frame the channels queued since: a relay batch's publishes (three frames
 * each), a batch's acks. Corked for the length of that synchronous loop and uncorked at its end,
 * nothing waits for a timer or a later turn, and backpressure is unchanged (the loop still stops
 * when the socket's buffer is full and resumes on 'drain').
 *
 * amqplib does not do this itself (its Mux calls `write` per chunk), so this reaches one private
 * method; where amqplib's shape differs it does nothing and says so (false). Measured in
 * bench/README.md ("What the profiles showed").
 */
export function coalesceFrameWrites(model: ChannelModel): boolean {
  const muxer = (model as unknown as MuxedModel).connection?.muxer;
  const out = muxer?.out;
  const pass = muxer?._readIncoming;
  if (!muxer || typeof pass !== 'function' || typeof out?.cork !== 'function' || typeof out.uncork !== 'function') return false;
  muxer._readIncoming = () => {
    out.cork!();
    try {
      pass.call(muxer);
    } finally {
      out.uncork!();
    }
  };
  return true;
}
