/**
 * The websocket client (docs/protocol.md): connects to /ws?after=SEQ,
 * reconnects with backoff after a drop, notices a dead connection, and
 * reports its status.
 *
 * Status: "Connecting" (first attempt), "Live" (after the server's hello),
 * "Offline" (dropped, waiting to retry), "Reconnecting" (retrying).
 *
 * A dead network does not close a websocket: the TCP connection can look
 * open for minutes.  So while Live the client sends `{"type": "ping"}` every
 * PING_EVERY ms; when nothing at all (pong or anything else) arrives within
 * PONG_WITHIN ms of a ping, the socket is taken for dead: it is closed, the
 * status says "Offline" and the reconnects begin.  The browser's `offline`
 * event (navigator.onLine) does the same at once; `online` retries at once.
 * A connection that brings no hello within HELLO_WITHIN ms (a connect that
 * hangs, an answer lost) is given up the same way.
 */

const FIRST_DELAY = 300;
const MAX_DELAY = 2000;
const POLICY_VIOLATION = 1008;
export const PING_EVERY = 1500;
export const PONG_WITHIN = 2500;
export const HELLO_WITHIN = 5000;

/**
 * @param {{
 *   url: () => string,
 *   onMessage: (message: object) => void,
 *   onStatus: (status: string) => void,
 *   onRefused?: (reason: string) => void,
 *   WebSocketClass?: typeof WebSocket,
 *   network?: {addEventListener: Function} | null,
 *   pingEvery?: number,
 *   pongWithin?: number,
 *   helloWithin?: number,
 * }} options
 *
 * The server refuses a connection it cannot serve (not signed in, wrong
 * Origin) by closing it with 1008 and a reason: `onRefused(reason)`, and the
 * retries continue slowly (signing in again in another tab fixes it).
 * `network` is where the `online`/`offline` events come from (the window).
 */
export function connectSocket({
  url,
  onMessage,
  onStatus,
  onRefused = () => {},
  WebSocketClass = WebSocket,
  network = typeof window === 'undefined' ? null : window,
  pingEvery = PING_EVERY,
  pongWithin = PONG_WITHIN,
  helloWithin = HELLO_WITHIN,
}) {
  let socket = null;
  let delay = FIRST_DELAY;
  let retryTimer = null;
  let everLive = false;
  let pingTimer = null; // the next ping, while Live
  let deadline = null; // a ping went out and nothing came back yet
  let pings = 0;

  function stopHeartbeat() {
    if (pingTimer !== null) clearTimeout(pingTimer);
    if (deadline !== null) clearTimeout(deadline);
    pingTimer = null;
    deadline = null;
  }

  function heartbeat(current) {
    pingTimer = setTimeout(() => {
      pingTimer = null;
      if (socket !== current) return;
      if (current.readyState === WebSocketClass.OPEN) {
        pings += 1;
        current.send(JSON.stringify({ type: 'ping', id: pings }));
      }
      if (deadline === null) {
        deadline = setTimeout(() => {
          deadline = null;
          dropped(current, { code: 1006, reason: 'no answer to the heartbeat' }, true);
        }, pongWithin);
      }
      heartbeat(current);
    }, pingEvery);
  }

  /** The socket `current` is gone (closed, or taken for dead): Offline, retry later. */
  function dropped(current, closed, dead) {
    if (socket !== current) return;
    socket = null;
    stopHeartbeat();
    if (dead) {
      try {
        current.close();
      } catch {
        // Closing a socket that never opened can throw; it is forgotten either way.
      }
    }
    onStatus('Offline');
    if (closed.code === POLICY_VIOLATION) {
      onRefused(closed.reason || 'The server refused the connection.');
      delay = MAX_DELAY;
    }
    retryTimer = setTimeout(open, delay);
    delay = Math.min(delay * 2, MAX_DELAY);
  }

  function open() {
    retryTimer = null;
    onStatus(everLive ? 'Reconnecting' : 'Connecting');
    const current = new WebSocketClass(url());
    socket = current;
    deadline = setTimeout(() => {
      deadline = null;
      dropped(current, { code: 1006, reason: 'no hello from the server' }, true);
    }, helloWithin);
    current.addEventListener('message', (message) => {
      if (socket !== current) return;
      if (deadline !== null) clearTimeout(deadline); // it answers: alive
      deadline = null;
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        console.error('The server sent a message that is not JSON:', message.data);
        return;
      }
      if (data.type === 'pong') return;
      if (data.type === 'hello') {
        everLive = true;
        delay = FIRST_DELAY;
        onStatus('Live');
        stopHeartbeat();
        heartbeat(current);
      }
      onMessage(data);
    });
    current.addEventListener('close', (closed) => dropped(current, closed, false));
  }

  /** Retry now instead of waiting for the backoff (e.g. the browser came back online). */
  function retryNow() {
    if (retryTimer === null) return;
    clearTimeout(retryTimer);
    delay = FIRST_DELAY;
    open();
  }

  /** The browser says the network is gone: the socket is dead, whatever it looks like. */
  function goneOffline() {
    if (socket !== null) dropped(socket, { code: 1006, reason: 'the browser is offline' }, true);
  }

  if (network) {
    network.addEventListener('offline', goneOffline);
    network.addEventListener('online', retryNow);
  }
  open();
  return {
    /** Send a message if the connection is up; false when it is not (resent after hello). */
    send(message) {
      if (!socket || socket.readyState !== WebSocketClass.OPEN) return false;
      socket.send(JSON.stringify(message));
      return true;
    },
    retryNow,
    goneOffline,
  };
}
