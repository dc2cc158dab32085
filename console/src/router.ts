// A minimal history router: the console's few paths (registry pages parse theirs in registry-path.ts)
// do not justify a routing library.
import { useCallback, useSyncExternalStore } from 'react';

const navigateEvent = 'berth:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(navigateEvent, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(navigateEvent, onChange);
  };
}

function currentPath(): string {
  return window.location.pathname;
}

/** Moves to `path` in the browser history (replacing the current entry when `replace`). */
export function navigate(path: string, replace = false): void {
  if (path === window.location.pathname) return;
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  window.dispatchEvent(new Event(navigateEvent));
}

/** The current path, re-rendering on back/forward and on `navigate`, plus the navigate function. */
export function usePath(): readonly [string, (path: string, replace?: boolean) => void] {
  const path = useSyncExternalStore(subscribe, currentPath);
  const go = useCallback((to: string, replace?: boolean) => navigate(to, replace), []);
  return [path, go] as const;
}
