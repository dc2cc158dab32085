// An in-console link: a real anchor (so it can be opened in a new tab) that moves with the
// router on a plain left click instead of reloading the page.
import type { MouseEvent, ReactNode } from 'react';
import { usePath } from './router.ts';

/** A link to the console path `to`; modified clicks (new tab, new window) are left to the browser. */
export function Link({ to, children, testId }: { readonly to: string; readonly children: ReactNode; readonly testId?: string }) {
  const [, go] = usePath();
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    go(to);
  };
  return <a href={to} onClick={onClick} data-testid={testId}>{children}</a>;
}
