// A small router for the browser app: the address (history API, under a base such as /rider/) names a
// screen, a guard may send a navigation elsewhere (sign-in), and <router-view> shows the screen. It does
// what the rider's app needs and no more, in 2 KB rather than vue-router's 9 (gzipped), because the rider's
// first download is counted in seconds on a slow signal (README: "Why not vue-router").
//
// It speaks the part of vue-router's interface that Vant's components read: `$router.push(to)` for a
// Cell's or a TabbarItem's `to`, and `$route.matched[].path` for the Tabbar's `route` mode.

import { defineAsyncComponent, defineComponent, h, inject, nextTick, reactive, type App, type Component, type InjectionKey } from 'vue';

export interface RouteRecord {
  path: string;
  name: string;
  /** The screen, in the first download... */
  component?: Component;
  /** ...or loaded when first shown. */
  load?: () => Promise<{ default: Component }>;
  /** The path's :params become the screen's props. */
  props?: boolean;
  meta?: Record<string, unknown>;
}

export interface Route {
  name: string;
  path: string;
  fullPath: string;
  params: Record<string, string>;
  query: Record<string, string>;
  meta: Record<string, unknown>;
  /** The record shown (one: no nesting), as vue-router names it. */
  matched: { path: string; name: string }[];
}

export type Target = string | { name?: string; params?: Record<string, string>; query?: Record<string, string> };
type Guard = (to: Route) => true | Target;

export interface Router {
  readonly currentRoute: Route;
  push(to: Target): Promise<void>;
  replace(to: Target): Promise<void>;
  back(): void;
  beforeEach(guard: Guard): void;
  install(app: App): void;
}

interface Compiled {
  record: RouteRecord;
  pattern: RegExp;
  keys: string[];
  view: Component;
}

const ROUTER: InjectionKey<Router> = Symbol('router');
const ROUTE: InjectionKey<Route> = Symbol('route');

export function createRouter(options: { base: string; routes: RouteRecord[]; fallback: string }): Router {
  const base = options.base.replace(/\/+$/, '');
  const compiled: Compiled[] = options.routes.map((record) => {
    const keys: string[] = [];
    const source = record.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_, key: string) => (keys.push(key), '([^/]+)'));
    const view = record.component ?? (record.load ? defineAsyncComponent(record.load) : undefined);
    if (!view) throw new Error(`route ${record.name} has neither a component nor a loader`);
    return { record, pattern: new RegExp(`^${source}/?$`), keys, view };
  });
  const guards: Guard[] = [];
  const current = reactive<Route>({ name: '', path: '', fullPath: '', params: {}, query: {}, meta: {}, matched: [] });
  let shown: Compiled | undefined;

  const build = (path: string, query: Record<string, string>): string => {
    const search = new URLSearchParams(query).toString();
    return search ? `${path}?${search}` : path;
  };

  /** The route a target names, or null when no screen has that address. */
  const resolve = (to: Target): { route: Route; entry: Compiled } | null => {
    let path: string;
    let query: Record<string, string>;
    if (typeof to === 'string') {
      const url = new URL(to, 'http://app');
      path = url.pathname;
      query = Object.fromEntries(url.searchParams);
    } else if (to.name) {
      const entry = compiled.find((c) => c.record.name === to.name);
      if (!entry) return null;
      path = entry.record.path.replace(/:(\w+)/g, (_, key: string) => encodeURIComponent(to.params?.[key] ?? ''));
      query = to.query ?? {};
    } else {
      path = current.path;
      query = to.query ?? {};
    }
    for (const entry of compiled) {
      const found = entry.pattern.exec(path);
      if (!found) continue;
      const params = Object.fromEntries(entry.keys.map((key, i) => [key, decodeURIComponent(found[i + 1]!)]));
      const { name, meta = {} } = entry.record;
      return { entry, route: { name, path, fullPath: build(path, query), params, query, meta, matched: [{ path: entry.record.path, name }] } };
    }
    return null;
  };

  /** Where a navigation to `to` ends, after the guards (a few redirects at most). */
  const settle = (to: Target): { route: Route; entry: Compiled } => {
    let target: Target = to;
    for (let hop = 0; hop < 5; hop++) {
      const resolved = resolve(target) ?? resolve(options.fallback)!;
      const verdict = guards.reduce<true | Target>((v, guard) => (v === true ? guard(resolved.route) : v), true);
      if (verdict === true) return resolved;
      target = verdict;
    }
    return resolve(options.fallback)!;
  };

  const show = ({ route, entry }: { route: Route; entry: Compiled }) => {
    shown = entry;
    Object.assign(current, route);
  };

  const navigate = async (to: Target, replace: boolean) => {
    const next = settle(to);
    // Where the rider was on the screen they leave, for the back button.
    history.replaceState({ ...(history.state as object), scroll: window.scrollY }, '');
    history[replace ? 'replaceState' : 'pushState']({ scroll: 0 }, '', base + next.route.fullPath);
    const sameScreen = next.route.path === current.path;
    show(next);
    if (!sameScreen) {
      await nextTick();
      window.scrollTo({ top: 0 });
    }
  };

  const fromLocation = () => {
    const path = location.pathname.startsWith(base) ? location.pathname.slice(base.length) || '/' : '/';
    return `${path}${location.search}`;
  };

  window.addEventListener('popstate', (event) => {
    const next = settle(fromLocation());
    if (base + next.route.fullPath !== location.pathname + location.search) history.replaceState(null, '', base + next.route.fullPath);
    show(next);
    const scroll = (event.state as { scroll?: number } | null)?.scroll ?? 0;
    void nextTick(() => window.scrollTo({ top: scroll }));
  });

  const RouterView = defineComponent({
    name: 'RouterView',
    setup() {
      return () => {
        if (!shown) return null;
        const props = shown.record.props ? { ...current.params } : {};
        // A new screen for a new address (a case after another); the same one when only the query changes.
        return h(shown.view, { ...props, key: current.path });
      };
    },
  });

  const router: Router = {
    currentRoute: current,
    push: (to) => navigate(to, false),
    replace: (to) => navigate(to, true),
    back: () => history.back(),
    beforeEach: (guard) => void guards.push(guard),
    install(app) {
      app.provide(ROUTER, router);
      app.provide(ROUTE, current);
      app.config.globalProperties.$router = router;
      app.config.globalProperties.$route = current;
      app.component('RouterView', RouterView);
      // The address the app was opened at, through the guards.
      const first = settle(fromLocation());
      history.replaceState({ scroll: 0 }, '', base + first.route.fullPath);
      show(first);
    },
  };
  return router;
}

export function useRouter(): Router {
  return inject(ROUTER)!;
}

/** The route shown: a reactive object whose fields follow every navigation. */
export function useRoute(): Route {
  return inject(ROUTE)!;
}

declare module 'vue' {
  interface ComponentCustomProperties {
    $router: Router;
    $route: Route;
  }
}
