// The event log: the last events, a filter (text, VS, severity) and follow:
// server-sent events from GET /api/v1/events/stream (polling /events when the
// server has no stream).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Card, Badge, stateKind, ErrorNote, when } from '../ui.jsx';

const MAX = 1000;

export function Events() {
  const [events, setEvents] = useState([]);
  const [error, setError] = useState(null);
  const [follow, setFollow] = useState(true);
  const [live, setLive] = useState('');
  const [q, setQ] = useState('');
  const [vs, setVs] = useState('');
  const [sev, setSev] = useState('');
  const last = useRef(0);

  const add = (list) => {
    const fresh = list.filter((e) => e && e.id > last.current);
    if (!fresh.length) return;
    last.current = Math.max(...fresh.map((e) => e.id));
    setEvents((old) => old.concat(fresh).slice(-MAX));
  };

  useEffect(() => {
    api.get('/events?limit=200').then((d) => add(d || []), setError);
  }, []);

  useEffect(() => {
    if (!follow) {
      setLive('');
      return undefined;
    }
    let es = null;
    let poll = null;
    const startPolling = () => {
      if (poll) return;
      setLive('following (polling)');
      poll = setInterval(() => api.get(`/events?after=${last.current}`).then((d) => add(d || []), setError), 2000);
    };
    if (window.EventSource) {
      es = new EventSource('/api/v1/events/stream');
      let opened = false;
      es.onopen = () => {
        opened = true;
        setLive('following (live)');
      };
      es.onmessage = (m) => {
        try {
          add([JSON.parse(m.data)]);
        } catch {
          /* not an event */
        }
      };
      es.addEventListener('end', () => {
        es.close();
        startPolling();
      });
      es.onerror = () => {
        if (!opened) {
          es.close();
          startPolling();
        } else setLive('reconnecting…');
      };
    } else startPolling();
    return () => {
      es && es.close();
      poll && clearInterval(poll);
    };
  }, [follow]);

  const needle = q.toLowerCase();
  const shown = events.filter((e) => (!vs || e.vs === vs) && (!sev || e.severity === sev) &&
    (!needle || `${e.message} ${e.node} ${e.vs}`.toLowerCase().includes(needle)));
  const vss = [...new Set(events.map((e) => e.vs).filter(Boolean))].sort();
  const sevs = [...new Set(events.map((e) => e.severity).filter(Boolean))].sort();
  return (
    <Card title="Event log" actions={<span role="status" class="muted" data-testid="follow-state">{live}</span>}>
      <ErrorNote error={error} />
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter events">
        <div class="field"><label for="ev-q">Contains</label><input id="ev-q" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} /></div>
        <div class="field"><label for="ev-vs">Virtual server</label>
          <select id="ev-vs" value={vs} onChange={(e) => setVs(e.currentTarget.value)}><option value="">all</option>{vss.map((x) => <option>{x}</option>)}</select></div>
        <div class="field"><label for="ev-sev">Severity</label>
          <select id="ev-sev" value={sev} onChange={(e) => setSev(e.currentTarget.value)}><option value="">all</option>{sevs.map((x) => <option>{x}</option>)}</select></div>
        <div class="field field-check"><label for="ev-follow">Follow</label><input id="ev-follow" type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /></div>
      </form>
      <p class="muted">{shown.length} of {events.length} events</p>
      <ol class="events" aria-live="polite" aria-label="Events">
        {shown.slice().reverse().slice(0, 300).map((e) => (
          <li key={e.id} data-id={e.id}><time>{when(e.ts_usec)}</time> <Badge kind={e.severity === 'info' ? 'neutral' : stateKind(e.severity)}>{e.severity}</Badge> <b>{e.vs || e.node}</b> <span class="msg">{e.message}</span></li>
        ))}
      </ol>
    </Card>
  );
}
