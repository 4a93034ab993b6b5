/**
 * The websocket client (docs/protocol.md): connects to /ws?after=SEQ,
 * reconnects with backoff after a drop, and reports its status.
 *
 * Status: "Connecting" (first attempt), "Live" (after the server's hello),
 * "Offline" (dropped, waiting to retry), "Reconnecting" (retrying).
 */

const FIRST_DELAY = 300;
const MAX_DELAY = 2000;
const POLICY_VIOLATION = 1008;

/**
 * @param {{
 *   url: () => string,
 *   onMessage: (message: object) => void,
 *   onStatus: (status: string) => void,
 *   onRefused?: (reason: string) => void,
 *   WebSocketClass?: typeof WebSocket,
 * }} options
 *
 * The server refuses a connection it cannot serve (not signed in, wrong
 * Origin) by closing it with 1008 and a reason: `onRefused(reason)`, and the
 * retries continue slowly (signing in again in another tab fixes it).
 */
export function connectSocket({ url, onMessage, onStatus, onRefused = () => {}, WebSocketClass = WebSocket }) {
  let socket = null;
  let delay = FIRST_DELAY;
  let retryTimer = null;
  let everLive = false;

  function open() {
    retryTimer = null;
    onStatus(everLive ? 'Reconnecting' : 'Connecting');
    const current = new WebSocketClass(url());
    socket = current;
    current.addEventListener('message', (message) => {
      if (socket !== current) return;
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        console.error('The server sent a message that is not JSON:', message.data);
        return;
      }
      if (data.type === 'hello') {
        everLive = true;
        delay = FIRST_DELAY;
        onStatus('Live');
      }
      onMessage(data);
    });
    current.addEventListener('close', (closed) => {
      if (socket !== current) return;
      socket = null;
      onStatus('Offline');
      if (closed.code === POLICY_VIOLATION) {
        onRefused(closed.reason || 'The server refused the connection.');
        delay = MAX_DELAY;
      }
      retryTimer = setTimeout(open, delay);
      delay = Math.min(delay * 2, MAX_DELAY);
    });
  }

  open();
  return {
    /** Send a message if the connection is up; false when it is not (resent after hello). */
    send(message) {
      if (!socket || socket.readyState !== WebSocketClass.OPEN) return false;
      socket.send(JSON.stringify(message));
      return true;
    },
    /** Retry now instead of waiting for the backoff (e.g. the browser came back online). */
    retryNow() {
      if (retryTimer === null) return;
      clearTimeout(retryTimer);
      delay = FIRST_DELAY;
      open();
    },
  };
}
