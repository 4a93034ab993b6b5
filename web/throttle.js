/**
 * A throttle with a trailing call: `poke()` asks for `run()`; it runs at most
 * once per `ms`, `ms` after the first poke of a quiet period, however often
 * it is poked meanwhile (a debounce would wait for a pause: the other person
 * would see nothing while someone types).  `now()` runs it at once.
 */

export function createThrottle(run, ms, timers) {
  const clock = timers || { set: (fn, wait) => setTimeout(fn, wait), clear: (id) => clearTimeout(id) };
  let timer = null;
  const fire = () => {
    timer = null;
    run();
  };
  return {
    poke() {
      if (timer === null) timer = clock.set(fire, ms);
    },
    now() {
      if (timer !== null) clock.clear(timer);
      fire();
    },
    cancel() {
      if (timer !== null) clock.clear(timer);
      timer = null;
    },
    get waiting() {
      return timer !== null;
    },
  };
}
