// The riders' app: sign in once, 随手拍 in one screen, an offline queue that never loses a report, and
// their reports, messages and points. Chinese first; Tibetan and English too (shared/i18n.ts).

import { createApp } from 'vue';
import { Badge, Button, Cell, CellGroup, Empty, Field, Form, Icon, Loading, NavBar, NoticeBar, Popup, Rate, Switch, Tabbar, TabbarItem, Tag, Steps, Step, Image as VanImage } from 'vant';
import 'vant/lib/index.css';
import '../shared/tibetan.css';
import './rider.css';
import App from './App.vue';
import { router } from './router.js';
import { i18n } from '../shared/i18n.js';
import { startQueue } from './queue.js';

const app = createApp(App);
for (const component of [Badge, Button, Cell, CellGroup, Empty, Field, Form, Icon, Loading, NavBar, NoticeBar, Popup, Rate, Switch, Tabbar, TabbarItem, Tag, Steps, Step, VanImage]) app.use(component);
app.use(i18n).use(router).mount('#app');

startQueue();

// The service worker keeps the app's shell for the days without signal (its scope is /rider/).
if ('serviceWorker' in navigator && !import.meta.env.DEV) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/rider/sw.js', { scope: '/rider/' }).catch(() => undefined);
  });
}
