// Whether the phone believes it has a network. Only a hint: the queue tries the server whatever this says
// and trusts the answer (navigator.onLine is true on a captive Wi-Fi with no internet). Some browsers and
// WebViews change navigator.onLine without firing 'online', so it is also read every two seconds.
import { ref } from 'vue';

export const online = ref(navigator.onLine);
const listeners: (() => void)[] = [];

/** Call back each time the network comes back. */
export const onReconnect = (listener: () => void): void => void listeners.push(listener);

function update(now: boolean) {
  const was = online.value;
  online.value = now;
  if (now && !was) for (const listener of listeners) listener();
}
window.addEventListener('online', () => update(true));
window.addEventListener('offline', () => update(false));
setInterval(() => update(navigator.onLine), 2_000);
