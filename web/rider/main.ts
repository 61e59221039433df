// The riders' app: sign in once, 随手拍 in one screen, an offline queue that never loses a report, and
// their reports, messages and points. Chinese first; Tibetan and English too (shared/i18n.ts).

import { createApp } from 'vue';
import { Button, Cell, Field, Icon, NavBar, NoticeBar, Switch, Tabbar, TabbarItem, Tag } from 'vant';
import './vant-styles.js';
import '../shared/tibetan.css';
import './rider.css';
import App from './App.vue';
import { router } from './router.js';
import { i18n, languageReady } from '../shared/i18n.js';
import { startQueue } from './queue.js';
import { startInbox } from './inbox.js';
import { afterFirstScreen } from './later.js';

const app = createApp(App);
// The components of the report screen and the tab bar, for every screen; the others import what they use.
for (const component of [Button, Cell, Field, Icon, NavBar, NoticeBar, Switch, Tabbar, TabbarItem, Tag]) app.use(component);
app.use(i18n).use(router);
void languageReady.then(() => app.mount('#app'));

startQueue();
// Vant's icon font (27 KB, inlined in its CSS) comes after the first screen: the buttons all have words, and
// the icons appear when it lands. The inbox's unread badge can wait as long.
afterFirstScreen(() => void import('./icons.js'));
afterFirstScreen(startInbox);

// The service worker keeps the app's shell for the days without signal (its scope is /rider/).
if ('serviceWorker' in navigator && !import.meta.env.DEV) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/rider/sw.js', { scope: '/rider/' }).catch(() => undefined);
  });
}
