import {
  lazy,
  Suspense,
  useCallback,
  useEffect,
  useMemo,
  useState,
  useSyncExternalStore,
} from 'react';
import { ApiClient, storeApiKey, storedApiKey } from './api/api-client';
import { LiveSocket, liveSocketUrl, type LiveStatus } from './live/live-socket';
import { Link, navigate, usePath } from './router';
import { SessionContext, type Session } from './session';
import { FleetStore } from './state/fleet-store';
import { FleetView } from './views/fleet-view';
import { SignInView } from './views/sign-in-view';

// Views other than the fleet load on demand: the first visit downloads only the shell and fleet.
const DeviceView = lazy(() => import('./views/device-view'));
const AlertsView = lazy(() => import('./views/alerts-view'));
const ProgramsView = lazy(() => import('./views/programs-view'));
const ActuatorsView = lazy(() => import('./views/actuators-view'));
const PipelineView = lazy(() => import('./views/pipeline-view'));
const UploadsView = lazy(() => import('./views/uploads-view'));

const NAV: Array<{ href: string; label: string }> = [
  { href: '/', label: 'Fleet' },
  { href: '/alerts', label: 'Alerts' },
  { href: '/programs', label: 'Programs' },
  { href: '/actuators', label: 'Actuators' },
  { href: '/pipeline', label: 'Pipeline' },
  { href: '/uploads', label: 'CSV upload' },
];

function useOnline(): boolean {
  return useSyncExternalStore(
    (listener) => {
      window.addEventListener('online', listener);
      window.addEventListener('offline', listener);
      return () => {
        window.removeEventListener('online', listener);
        window.removeEventListener('offline', listener);
      };
    },
    () => navigator.onLine,
  );
}

export function App() {
  const [apiKey, setApiKey] = useState<string | null>(() => storedApiKey());
  const online = useOnline();
  const signOut = useCallback(() => {
    storeApiKey(null);
    setApiKey(null);
    navigate('/');
  }, []);
  if (apiKey === null) {
    return (
      <Shell online={online}>
        <SignInView
          onSignedIn={(key) => {
            storeApiKey(key);
            setApiKey(key);
          }}
        />
      </Shell>
    );
  }
  return <SignedIn apiKey={apiKey} online={online} onSignOut={signOut} />;
}

function SignedIn({
  apiKey,
  online,
  onSignOut,
}: {
  apiKey: string;
  online: boolean;
  onSignOut: () => void;
}) {
  const [liveStatus, setLiveStatus] = useState<LiveStatus>('connecting');
  const session = useMemo<Session>(() => {
    const fleet = new FleetStore();
    const live = new LiveSocket({
      url: liveSocketUrl(window.location),
      apiKey,
      onReadings: (device, readings) => fleet.applyLive(device, readings),
      onStatus: setLiveStatus,
    });
    return { api: new ApiClient(apiKey), live, fleet, signOut: onSignOut };
  }, [apiKey, onSignOut]);

  useEffect(() => {
    session.live.start();
    return () => session.live.stop();
  }, [session]);

  useEffect(() => {
    if (liveStatus === 'unauthorized') onSignOut();
  }, [liveStatus, onSignOut]);

  return (
    <SessionContext.Provider value={session}>
      <Shell online={online} liveStatus={liveStatus} onSignOut={onSignOut}>
        <Routes />
      </Shell>
    </SessionContext.Provider>
  );
}

function Routes() {
  const path = usePath();
  const device = /^\/devices\/([^/]+)$/.exec(path);
  let view;
  if (device) view = <DeviceView deviceId={decodeURIComponent(device[1])} />;
  else if (path === '/alerts') view = <AlertsView />;
  else if (path === '/programs') view = <ProgramsView />;
  else if (path === '/actuators') view = <ActuatorsView />;
  else if (path === '/pipeline') view = <PipelineView />;
  else if (path === '/uploads') view = <UploadsView />;
  else if (path === '/') view = <FleetView />;
  else
    view = (
      <section>
        <h1>Not found</h1>
        <p>
          No page at <code>{path}</code>. <Link href="/">Back to the fleet</Link>
        </p>
      </section>
    );
  return (
    <Suspense
      fallback={
        <p className="muted" aria-live="polite">
          Loading…
        </p>
      }
    >
      {view}
    </Suspense>
  );
}

const LIVE_LABEL: Record<LiveStatus, string> = {
  connecting: 'connecting',
  live: 'live',
  reconnecting: 'reconnecting…',
  offline: 'offline',
  unauthorized: 'signed out',
};

function Shell({
  online,
  liveStatus,
  onSignOut,
  children,
}: {
  online: boolean;
  liveStatus?: LiveStatus;
  onSignOut?: () => void;
  children: React.ReactNode;
}) {
  const path = usePath();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand" aria-label="Sluice home">
          <img src="/icons/icon-192.png" alt="" width={28} height={28} />
          <span>Sluice</span>
        </Link>
        {onSignOut && (
          <nav aria-label="Main">
            <ul className="nav">
              {NAV.map((item) => (
                <li key={item.href}>
                  <Link
                    href={item.href}
                    aria-current={
                      item.href === path || (item.href === '/' && path.startsWith('/devices/'))
                        ? 'page'
                        : undefined
                    }
                  >
                    {item.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <div className="topbar-end">
          {liveStatus && (
            <span className={`live-status live-${liveStatus}`} data-testid="live-status">
              <span aria-hidden="true">●</span> {LIVE_LABEL[liveStatus]}
            </span>
          )}
          {onSignOut && (
            <button type="button" className="button-quiet" onClick={onSignOut}>
              Sign out
            </button>
          )}
        </div>
      </header>
      {!online && (
        <div className="offline-banner" role="status" data-testid="offline-notice">
          You are offline. Showing the app shell; live data resumes by itself when the network
          returns.
        </div>
      )}
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
