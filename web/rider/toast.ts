// Vant's toast (with its popup and overlay: 4 KB of JavaScript) loads with the first message, not with
// the app; the service worker keeps it for the days without signal.
import { showToast } from 'vant';
import 'vant/es/overlay/index.css';
import 'vant/es/popup/index.css';
import 'vant/es/toast/index.css';

export { showToast };
