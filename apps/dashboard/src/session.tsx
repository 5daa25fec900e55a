import { createContext, useContext } from 'react';
import type { ApiClient } from './api/api-client';
import type { LiveSocket } from './live/live-socket';
import type { FleetStore } from './state/fleet-store';

/** What every signed-in view uses: the REST client, the one live socket, the fleet's latest values. */
export interface Session {
  api: ApiClient;
  live: LiveSocket;
  fleet: FleetStore;
  signOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside a signed-in app');
  return session;
}
