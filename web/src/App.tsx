/** The dashboard shell: header, hash routes (#/runs, #/runs/<id>, #/runs/<id>/tasks/<task>/attempts/<n>, #/agents, #/stats), token prompt. */
import { useEffect, useState } from 'react';
import { TokenGate } from './components/TokenGate';
import { AgentsPage } from './pages/AgentsPage';
import { ReviewPage } from './pages/ReviewPage';
import { RunPage } from './pages/RunPage';
import { RunsPage } from './pages/RunsPage';
import { StatsPage } from './pages/StatsPage';

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const on = () => setHash(window.location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

export function App() {
  const hash = useHash();
  const path = hash.replace(/^#/, '') || '/runs';
  const runMatch = /^\/runs\/([^/]+)$/.exec(path);
  const reviewMatch = /^\/runs\/([^/]+)\/tasks\/([^/]+)\/attempts\/(\d+)$/.exec(path);
  let page;
  if (reviewMatch) page = <ReviewPage runId={decodeURIComponent(reviewMatch[1]!)} taskId={decodeURIComponent(reviewMatch[2]!)} n={Number(reviewMatch[3])} />;
  else if (runMatch) page = <RunPage runId={decodeURIComponent(runMatch[1]!)} />;
  else if (path === '/agents') page = <AgentsPage />;
  else if (path === '/stats') page = <StatsPage />;
  else page = <RunsPage />;
  const tab = runMatch || reviewMatch ? 'runs' : path.slice(1);
  return (
    <>
      <header className="top">
        <a className="brand" href="#/runs">
          tutti
        </a>
        <nav>
          <a className={tab === 'runs' ? 'active' : ''} href="#/runs">
            Runs
          </a>
          <a className={tab === 'agents' ? 'active' : ''} href="#/agents">
            Agents
          </a>
          <a className={tab === 'stats' ? 'active' : ''} href="#/stats">
            Stats
          </a>
          <a href="/docs" target="_blank" rel="noreferrer">
            API docs
          </a>
        </nav>
        <button className="secondary small" onClick={() => window.dispatchEvent(new Event('tutti:ask-token'))}>
          Token
        </button>
      </header>
      <main>{page}</main>
      <TokenGate />
    </>
  );
}
