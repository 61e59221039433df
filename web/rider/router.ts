// The rider's screens. The report screen is in the entry (the first thing a rider needs, and what the
// service worker keeps for offline use); the others, sign-in included (once per phone), load when first
// opened. The router is the app's own small one (shared/router.ts).

import { loadSession } from '../shared/api.js';
import { createRouter } from '../shared/router.js';
import ReportView from './views/ReportView.vue';

export const router = createRouter({
  base: '/rider/',
  fallback: '/',
  routes: [
    { path: '/', name: 'report', component: ReportView },
    { path: '/signin', name: 'signin', load: () => import('./views/SignInView.vue'), meta: { public: true } },
    { path: '/reports', name: 'reports', load: () => import('./views/ReportsView.vue') },
    { path: '/reports/:id', name: 'case', load: () => import('./views/CaseView.vue'), props: true },
    { path: '/inbox', name: 'inbox', load: () => import('./views/InboxView.vue') },
    { path: '/me', name: 'me', load: () => import('./views/MeView.vue') },
    { path: '/me/join', name: 'join', load: () => import('./views/JoinView.vue') },
  ],
});

router.beforeEach((to) => {
  if (!to.meta.public && !loadSession()) return { name: 'signin', query: to.fullPath !== '/' ? { next: to.fullPath } : undefined };
  return true;
});
