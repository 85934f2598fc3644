// The console: a client of /api/v1 served by apweb. Hash routes (#/vservers/vs1)
// so that the server only ever serves / and the built assets.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './style.css';
import { api, logout, session } from './api.js';
import { startLoad, stopLoad } from './load.js';
import { Login } from './pages/login.jsx';
import { Setup } from './pages/setup.jsx';
import { Dashboard } from './pages/dashboard.jsx';
import { VServers, VServer } from './pages/vservers.jsx';
import { Network } from './pages/network.jsx';
import { Luns } from './pages/luns.jsx';
import { Users } from './pages/users.jsx';
import { Moves } from './pages/moves.jsx';
import { Events } from './pages/events.jsx';
import { Accounts } from './pages/accounts.jsx';
import { Nodes } from './pages/nodes.jsx';
import { Fencing } from './pages/fencing.jsx';
import { Balance } from './pages/balance.jsx';

const PAGES = [
  ['', 'Dashboard'],
  ['vservers', 'Virtual servers'],
  ['nodes', 'Nodes'],
  ['fencing', 'Fencing'],
  ['balance', 'Balancing'],
  ['network', 'VIPs and ports'],
  ['luns', 'LUNs'],
  ['users', 'Users and groups'],
  ['moves', 'Moves'],
  ['events', 'Events'],
  ['accounts', 'Console accounts'],
];

function route() {
  const h = location.hash.replace(/^#\/?/, '');
  return h.split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return '';
    }
  });
}

function App() {
  const [who, setWho] = useState(session());
  const [path, setPath] = useState(route());
  const [menu, setMenu] = useState(false);
  // Does the node need its first setup (GET /api/v1/setup: 200 yes, 404 no)? Asked
  // before the login page: a node with no account shows its setup form instead.
  const [setup, setSetup] = useState(who ? 'no' : 'unknown');

  useEffect(() => {
    const onHash = () => {
      setPath(route());
      setMenu(false);
      const main = document.getElementById('main');
      main && main.focus();
    };
    const onSession = () => setWho(session());
    window.addEventListener('hashchange', onHash);
    window.addEventListener('apweb-session', onSession);
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('apweb-session', onSession);
    };
  }, []);
  useEffect(() => {
    if (who || setup !== 'unknown') return;
    api.get('/setup').then((d) => setSetup(d && d.needed ? 'needed' : 'no'), () => setSetup('no'));
  }, [who, setup]);
  useEffect(() => {
    if (who) startLoad();
    else stopLoad();
  }, [who]);

  const [page, arg] = path;
  const title = (PAGES.find(([p]) => p === page) || [, 'Console'])[1];
  useEffect(() => {
    document.title = `${who ? title : setup === 'needed' ? 'Set up' : 'Log in'} · Appliance console`;
  }, [title, who, setup]);
  if (!who && setup === 'unknown') return null;
  if (!who && setup === 'needed') return <Setup onDone={() => setSetup('no')} />;
  if (!who) return <Login />;
  let body;
  switch (page) {
    case '': body = <Dashboard />; break;
    case 'vservers': body = arg ? <VServer name={arg} /> : <VServers />; break;
    case 'nodes': body = <Nodes />; break;
    case 'fencing': body = <Fencing />; break;
    case 'balance': body = <Balance />; break;
    case 'network': body = <Network />; break;
    case 'luns': body = <Luns />; break;
    case 'users': body = <Users vs={arg} />; break;
    case 'moves': body = <Moves />; break;
    case 'events': body = <Events />; break;
    case 'accounts': body = <Accounts />; break;
    default: body = <p>There is no such page. <a href="#/">Back to the dashboard</a>.</p>;
  }
  return (
    <div class="layout">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>Skip to the page</a>
      <header class="top">
        <button type="button" class="btn menu-btn" aria-expanded={menu} aria-controls="nav" onClick={() => setMenu(!menu)}>Menu</button>
        <span class="brand">Appliance</span>
        <span class="who" data-role={who.role}>{who.name} <span class="badge badge-neutral">{who.role}</span></span>
        <button type="button" class="btn" onClick={() => logout()}>Log out</button>
      </header>
      <nav id="nav" class={menu ? 'open' : ''} aria-label="Pages">
        <ul>
          {PAGES.filter(([p]) => p !== 'accounts' || who.role === 'admin').map(([p, t]) => (
            <li><a href={`#/${p}`} aria-current={p === page ? 'page' : undefined}>{t}</a></li>
          ))}
        </ul>
      </nav>
      <main id="main" tabindex="-1">
        <h1>{page === 'vservers' && arg ? `Virtual server ${arg}` : title}</h1>
        {body}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app'));
