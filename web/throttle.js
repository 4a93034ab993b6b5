/**
 * A throttle: `poke()` asks for `run()`.  The first poke of a quiet period
 * runs at once (a lone keystroke reaches the others without waiting); pokes
 * during the next `ms` run once more at its end, and so on: at most one run
 * per `ms` while the pokes go on, and the last poke is never dropped.  (A
 * debounce would wait for a pause: the other person would see nothing while
 * someone types.)  `now()` runs at once, `cancel()` forgets a waiting run.
 */

export function createThrottle(run, ms, timers) {
  const clock = timers || { set: (fn, wait) => setTimeout(fn, wait), clear: (id) => clearTimeout(id) };
  let timer = null; // the quiet period after a run, or null
  let asked = false; // poked during it

  function cooldown() {
    timer = clock.set(() => {
      timer = null;
      if (!asked) return;
      asked = false;
      run();
      cooldown();
    }, ms);
  }

  return {
    poke() {
      if (timer !== null) {
        asked = true;
        return;
      }
      run();
      cooldown();
    },
    now() {
      if (timer !== null) clock.clear(timer);
      timer = null;
      asked = false;
      run();
      cooldown();
    },
    cancel() {
      if (timer !== null) clock.clear(timer);
      timer = null;
      asked = false;
    },
    get waiting() {
      return asked;
    },
  };
}
