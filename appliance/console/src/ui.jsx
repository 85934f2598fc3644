// Small building blocks of the console's pages: real buttons and links, labels
// on every field, one confirmation dialog, and a polling hook.
import { useEffect, useRef, useState, useCallback } from 'preact/hooks';
import { api } from './api.js';

// Polls path every ms (0: once); { data, error, reload }.
export function useApi(path, ms = 0) {
  const [state, setState] = useState({ data: null, error: null });
  const alive = useRef(true);
  const load = useCallback(async () => {
    if (!path) return;
    try {
      const data = await api.get(path);
      if (alive.current) setState({ data, error: null });
    } catch (e) {
      if (alive.current) setState((s) => ({ data: s.data, error: e }));
    }
  }, [path]);
  useEffect(() => {
    alive.current = true;
    load();
    const t = ms ? setInterval(load, ms) : null;
    return () => {
      alive.current = false;
      if (t) clearInterval(t);
    };
  }, [load, ms]);
  return { ...state, reload: load };
}

export function Loading({ what }) {
  return <p class="muted" role="status">Loading {what}…</p>;
}

export function ErrorNote({ error }) {
  if (!error) return null;
  const text = error.status === 404 ? `${error.message} (this server may not offer it yet)` : error.message;
  return <p class="error" role="alert">{text}</p>;
}

export function Badge({ kind, children }) {
  return <span class={`badge badge-${kind || 'neutral'}`}>{children}</span>;
}

export function stateKind(s) {
  if (['running', 'member', 'healthy', 'ok', 'home', 'done', 'up', 'true'].includes(String(s))) return 'ok';
  if (['stopped', 'info', 'standby', 'planned', 'released', 'acquiring', 'moving', 'unknown', '-'].includes(String(s))) return 'neutral';
  if (['starting', 'stopping', 'migrating', 'warning', 'damped', 'degraded', 'away', 'maintenance'].includes(String(s))) return 'warn';
  return 'bad';
}

export function Card({ title, children, actions }) {
  return (
    <section class="card" aria-label={title}>
      <header class="card-head">
        <h2>{title}</h2>
        {actions ? <div class="card-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function Table({ cols, rows, empty, label, rowKey }) {
  if (!rows) return null;
  if (!rows.length) return <p class="muted">{empty || 'None.'}</p>;
  return (
    <div class="table-wrap">
      <table aria-label={label}>
        <thead>
          <tr>{cols.map((c) => <th scope="col">{c.title}</th>)}</tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={rowKey ? rowKey(r) : i}>
              {cols.map((c) => <td data-label={c.title}>{c.render ? c.render(r) : String(r[c.key] ?? '')}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// A button that runs an async action, shows it busy and reports its error or message.
export function Action({ label, run, kind, confirm, onDone, disabled, name }) {
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState(null);
  const [asking, setAsking] = useState(false);
  const go = async () => {
    setAsking(false);
    setBusy(true);
    setMsg(null);
    try {
      const r = await run();
      setMsg({ ok: true, text: (r && r.message) || 'Done.' });
      onDone && onDone(r);
    } catch (e) {
      setMsg({ ok: false, text: e.message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action">
      <button type="button" class={`btn ${kind || ''}`} disabled={busy || disabled} data-action={name || label}
        onClick={() => (confirm ? setAsking(true) : go())}>
        {busy ? `${label}…` : label}
      </button>
      {asking ? <Confirm text={confirm} yes={label} onYes={go} onNo={() => setAsking(false)} /> : null}
      {msg ? <span class={msg.ok ? 'ok-text' : 'error'} role={msg.ok ? 'status' : 'alert'}>{msg.text}</span> : null}
    </span>
  );
}

export function Confirm({ text, yes, onYes, onNo }) {
  const ref = useRef(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} class="confirm" aria-label="Confirm" onCancel={(e) => { e.preventDefault(); onNo(); }}>
      <p>{text}</p>
      <div class="row">
        <button type="button" class="btn danger" onClick={onYes}>{yes}</button>
        <button type="button" class="btn" autofocus onClick={onNo}>Cancel</button>
      </div>
    </dialog>
  );
}

// A form: fields [{name, label, type, required, options, placeholder, help}], submit(values).
// A field whose options are not known (an empty list) is a text field.
export function Form({ id, fields, submit, label, onDone, initial }) {
  const [values, setValues] = useState(initial || {});
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState(null);
  const set = (k, v) => setValues((o) => ({ ...o, [k]: v }));
  const onSubmit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setMsg(null);
    try {
      const r = await submit(values);
      setMsg({ ok: true, text: (r && r.message) || 'Done.' });
      setValues(initial || {});
      onDone && onDone(r, values);
    } catch (err) {
      setMsg({ ok: false, text: err.message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="form" onSubmit={onSubmit} aria-label={label} id={id}>
      {fields.map((f) => {
        const fid = `${id}-${f.name}`;
        const v = values[f.name] ?? '';
        return (
          <div class={`field ${f.type === 'checkbox' ? 'field-check' : ''}`}>
            <label for={fid}>{f.label}</label>
            {f.options && f.options.length ? (
              <select id={fid} name={f.name} value={v} required={f.required} onChange={(e) => set(f.name, e.currentTarget.value)}>
                <option value="">{f.required ? 'Choose…' : '(none)'}</option>
                {f.options.map((o) => <option value={o}>{o}</option>)}
              </select>
            ) : f.type === 'checkbox' ? (
              <input id={fid} name={f.name} type="checkbox" checked={!!values[f.name]} onChange={(e) => set(f.name, e.currentTarget.checked)} />
            ) : (
              <input id={fid} name={f.name} type={f.type || 'text'} value={v} required={f.required} placeholder={f.placeholder || ''}
                autocomplete={f.type === 'password' ? 'new-password' : 'off'} onInput={(e) => set(f.name, e.currentTarget.value)} />
            )}
            {f.help ? <small class="muted">{f.help}</small> : null}
          </div>
        );
      })}
      <div class="row">
        <button type="submit" class="btn primary" disabled={busy}>{busy ? `${label}…` : label}</button>
        {msg ? <span class={msg.ok ? 'ok-text' : 'error'} role={msg.ok ? 'status' : 'alert'}>{msg.text}</span> : null}
      </div>
    </form>
  );
}

// Only the defined, non-empty members of o (numbers from number fields).
export function clean(o, ints = []) {
  const r = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === '' || v === undefined || v === null || v === false) continue;
    r[k] = ints.includes(k) ? Number(v) : v;
  }
  return r;
}

export function when(usec) {
  if (!usec) return '';
  const d = new Date(usec / 1000);
  return d.toLocaleString(undefined, { hour12: false });
}

export function bytes(n) {
  if (n === undefined || n === null) return '';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  n = Number(n);
  while (Math.abs(n) >= 1000 && i < u.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(n < 10 && i ? 1 : 0)} ${u[i]}`;
}
