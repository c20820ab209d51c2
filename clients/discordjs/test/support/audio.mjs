// Known Opus-shaped frames for the tests: each carries its index, so the fake voice server can tell which arrived.
import { Readable } from 'node:stream';
import { createAudioResource, StreamType } from '@discordjs/voice';

/** Frame i of a test stream: a TOC byte (0xFC), a 4-byte index, then a pattern of the index's low byte. */
export function frame(i, marker = 0xfc) {
  const buffer = Buffer.alloc(80, i & 0xff);
  buffer[0] = marker;
  buffer.writeUInt32BE(i, 1);
  return buffer;
}

/** The index of a test frame (undefined for the library's own silence frames, 0xF8 0xFF 0xFE). */
export function indexOf(payload, marker = 0xfc) {
  return payload.length === 80 && payload[0] === marker ? payload.readUInt32BE(1) : undefined;
}

/** An AudioResource that plays frames 0 … count-1 as Opus packets (no transcoding: the library sends them as they are). */
export function resourceOf(count) {
  const frames = Array.from({ length: count }, (_, i) => frame(i));
  return createAudioResource(Readable.from(frames), { inputType: StreamType.Opus });
}

/** Which of 0 … count-1 are missing from a list of received indexes, and how many arrived twice. */
export function tally(indexes, count) {
  const seen = new Map();
  for (const i of indexes) if (i !== undefined) seen.set(i, (seen.get(i) ?? 0) + 1);
  const missing = [];
  for (let i = 0; i < count; i++) if (!seen.has(i)) missing.push(i);
  let duplicates = 0;
  for (const n of seen.values()) if (n > 1) duplicates += n - 1;
  let outOfOrder = 0;
  const received = indexes.filter((i) => i !== undefined);
  for (let k = 1; k < received.length; k++) if (received[k] < received[k - 1]) outOfOrder++;
  return { missing, duplicates, outOfOrder, received: received.length };
}
