// The riders' app: sign in once, 随手拍 in one screen, an offline queue that never loses a report, and
// their reports, messages and points. Chinese first; Tibetan and English too (shared/i18n.ts).

import { createApp } from 'vue';
import { Badge, Button, Cell, CellGroup, Empty, Field, Form, Icon, Loading, NavBar, NoticeBar, Rate, Switch, Tabbar, TabbarItem, Tag } from 'vant';
import './vant-styles.js';
import '../shared/tibetan.css';
import './rider.css';
import App from './App.vue';
import { router } from './router.js';
import { i18n } from '../shared/i18n.js';
import { startQueue } from './queue.js';

const app = createApp(App);
for (const component of [Badge, Button, Cell, CellGroup, Empty, Field, Form, Icon, Loading, NavBar, NoticeBar, Rate, Switch, Tabbar, TabbarItem, Tag]) app.use(component);
app.use(i18n).use(router).mount('#app');

startQueue();
// Vant's icon font (27 KB, inlined in its CSS) comes after the first screen: the buttons all have words, and
// the icons appear when it lands. On a slow signal it would otherwise hold up the first paint by a second.
void import('./icons.js');

// The service worker keeps the app's shell for the days without signal (its scope is /rider/).
if ('serviceWorker' in navigator && !import.meta.env.DEV) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/rider/sw.js', { scope: '/rider/' }).catch(() => undefined);
  });
}
