// The rider's screens. The report screen and sign-in are in the entry (the first thing a rider needs,
// and what the service worker keeps for offline use); the others load when first opened.

import { createRouter, createWebHistory } from 'vue-router';
import { loadSession } from '../shared/api.js';
import ReportView from './views/ReportView.vue';
import SignInView from './views/SignInView.vue';

export const router = createRouter({
  history: createWebHistory('/rider/'),
  routes: [
    { path: '/', name: 'report', component: ReportView },
    { path: '/signin', name: 'signin', component: SignInView, meta: { public: true } },
    { path: '/reports', name: 'reports', component: () => import('./views/ReportsView.vue') },
    { path: '/reports/:id', name: 'case', component: () => import('./views/CaseView.vue'), props: true },
    { path: '/inbox', name: 'inbox', component: () => import('./views/InboxView.vue') },
    { path: '/me', name: 'me', component: () => import('./views/MeView.vue') },
    { path: '/me/join', name: 'join', component: () => import('./views/JoinView.vue') },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
});

router.beforeEach((to) => {
  if (!to.meta.public && !loadSession()) return { name: 'signin', query: to.fullPath !== '/' ? { next: to.fullPath } : {} };
  return true;
});
