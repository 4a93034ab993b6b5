// What the Node runners share: `flux crosscheck`'s (crosscheck_runner.mjs) and the
// tests' (tests/support/node/*.mjs).  Each answers one JSON line of stdin with one
// JSON line of stdout, in order.
import { createInterface } from 'node:readline';

/** True when `error` is a Transcrypt exception of class `base` or of a subclass of it. */
export function isInstance(error, base) {
  let cls = error && error.__class__;
  while (cls) {
    if (cls === base) return true;
    cls = cls.__bases__ && cls.__bases__[0];
  }
  return false;
}

/**
 * Answer each non-empty line of stdin with `await handle(JSON.parse(line))`, written
 * as one JSON line.  A line that cannot be handled, or whose answer cannot be
 * written as JSON, is answered {"crash": text}; the next line is answered still.
 */
export async function answerLines(handle) {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let answer;
    try {
      answer = await handle(JSON.parse(line));
    } catch (error) {
      answer = { crash: String(error && error.stack ? error.stack : error) };
    }
    let text;
    try {
      text = JSON.stringify(answer);
    } catch (error) {
      text = JSON.stringify({ crash: 'the answer cannot be written as JSON: ' + String(error) });
    }
    process.stdout.write(text + '\n');
  }
}
