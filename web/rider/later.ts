// What can wait until the first screen is usable: on a slow signal every byte fetched at start-up shares
// the line with what the rider is waiting for (on Slow 3G the map's code and the icon font are 75 KB, a
// second and a half). The report screen says when it has what it needs (its categories); any other screen
// is taken as ready after a short while. Then the waiting tasks run, one idle moment each.

const FALLBACK_MS = 2_000;

let release: () => void = () => undefined;
const ready = new Promise<void>((resolve) => (release = resolve));
setTimeout(() => release(), FALLBACK_MS);

/** The first screen has what it needs: start the rest. */
export function firstScreenReady(): void {
  release();
}

/** Runs `task` once the first screen is ready, when the browser has a moment. */
export function afterFirstScreen(task: () => void): void {
  void ready.then(() => {
    if ('requestIdleCallback' in window) window.requestIdleCallback(() => task(), { timeout: 1_000 });
    else setTimeout(task, 0);
  });
}
