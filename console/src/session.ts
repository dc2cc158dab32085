// Where the session token lives: sessionStorage, so that it ends with the browser tab.
import { createContext, useContext } from 'react';
import type { ApiClient } from './api-client.ts';
import type { WhoAmI } from './model.ts';

const tokenKey = 'berth.token';

/** The stored session token, or null. */
export function loadToken(storage: Storage): string | null {
  try {
    return storage.getItem(tokenKey);
  } catch {
    return null;
  }
}

/** Stores the session token, or forgets it when `token` is null. */
export function saveToken(storage: Storage, token: string | null): void {
  try {
    if (token === null) storage.removeItem(tokenKey);
    else storage.setItem(tokenKey, token);
  } catch {
    // Without storage the token lives only in memory, so a reload asks to log in again.
  }
}

/** What pages of a logged-in user read: the API client and who the user is. */
export interface Session {
  readonly api: ApiClient;
  readonly user: WhoAmI;
  readonly logout: () => void;
}

/** The session context; set by the app shell once whoami answered. */
export const SessionContext = createContext<Session | null>(null);

/** The logged-in session; throws when used outside a logged-in layout. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession must be used inside a logged-in layout');
  return session;
}
