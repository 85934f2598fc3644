// The node's first setup (README "First boot from a seed"): shown instead of the
// login while GET /api/v1/setup says the node needs it (no console account, no
// cluster). Its name, an address on one port, the cluster (create, join with a
// bundle, or none) and the first console account, with the setup code that the
// node's serial console shows. The server checks everything and answers one
// sentence, shown as it is; a success says where the node will be.
import { useState } from 'preact/hooks';
import { api } from '../api.js';

function Field({ id, label, hint, children }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint ? <small id={`${id}-hint`}>{hint}</small> : null}
    </div>
  );
}

const noPrefix = (a) => (a || '').split('/')[0];

// The form's state into the body of POST /api/v1/setup (ap_setupform.h).
export function setupBody(f) {
  const b = { code: f.code.trim(), node: f.node.trim() };
  if (f.port.trim() && f.port.trim() !== 'eth0') b.port = f.port.trim();
  if (f.net === 'dhcp') b.dhcp = true;
  if (f.net === 'static') {
    b.address = f.address.trim();
    if (f.gateway.trim()) b.gateway = f.gateway.trim();
    const dns = f.dns.split(/[\s,]+/).filter(Boolean);
    if (dns.length) b.dns = dns;
  }
  if (f.role === 'create') {
    const c = { name: f.cluster.trim(), nodes: f.nodes.trim() || `${b.node}=${noPrefix(b.address)}` };
    if (f.mgmt.trim()) {
      c.mgmt = f.mgmt.trim();
      c.mgmt_port = f.mgmtPort.trim() || f.port.trim() || 'eth0';
    }
    b.cluster = { create: c };
  }
  if (f.role === 'join') b.cluster = { join: { bundle: f.bundleJson } };
  if (f.role !== 'join') b.admin = { name: f.admin.trim(), password: f.password };
  return b;
}

export function Setup({ onDone }) {
  const [f, setF] = useState({
    code: '', node: '', port: 'eth0', net: 'keep', address: '', gateway: '', dns: '',
    role: 'create', cluster: '', nodes: '', mgmt: '', mgmtPort: '', bundle: '',
    admin: 'admin', password: '', password2: '',
  });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(null);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    let bundleJson = null;
    if (f.role === 'join') {
      try {
        bundleJson = JSON.parse(f.bundle);
      } catch {
        setError('The bundle is not JSON: paste the whole file that vsadm cluster bundle wrote.');
        return;
      }
    }
    if (f.role !== 'join' && f.password !== f.password2) {
      setError('The two passwords differ.');
      return;
    }
    setBusy(true);
    try {
      const r = await api.post('/setup', setupBody({ ...f, bundleJson }));
      setF({ ...f, password: '', password2: '', code: '' });
      setDone((r && r.data) || {});
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    const where = done.address
      ? `https://${done.address.includes(':') ? `[${done.address}]` : done.address}:8443/`
      : null;
    return (
      <main class="login" id="main" tabindex="-1">
        <section class="card form" aria-live="polite">
          <h1>Node {done.node} is set up</h1>
          {done.reboot ? (
            <p>
              {done.restarting ? 'It restarts now' : 'It takes its name and address at its next restart'}
              {where ? <>, then its console is at <a href={where}>{where}</a>.</> : ', with its address from DHCP (see its serial console).'}
            </p>
          ) : null}
          {done.cluster_later ? <p>Its cluster is created or joined as it starts again.</p> : null}
          {done.reboot && done.restarting ? null : (
            <button type="button" class="btn primary" onClick={() => onDone()}>Log in</button>
          )}
        </section>
      </main>
    );
  }

  return (
    <main class="login setup" id="main" tabindex="-1">
      <form class="card form" onSubmit={submit} aria-label="Set up this node">
        <h1>Set up this node</h1>
        <p>This node has no console account and is in no cluster. Its serial console shows the setup code.</p>
        <Field id="setup-code" label="Setup code" hint="XXXX-XXXX, as the serial console shows it">
          <input id="setup-code" name="code" required autocomplete="off" spellcheck={false} value={f.code}
            aria-describedby="setup-code-hint" onInput={set('code')} />
        </Field>
        <Field id="setup-node" label="Node name" hint="Also its host name: letters, digits and '-'">
          <input id="setup-node" name="node" required value={f.node} aria-describedby="setup-node-hint" onInput={set('node')} />
        </Field>
        <fieldset class="field">
          <legend>Address</legend>
          <Field id="setup-port" label="Port">
            <input id="setup-port" name="port" value={f.port} onInput={set('port')} />
          </Field>
          <Field id="setup-net" label="How">
            <select id="setup-net" value={f.net} onChange={set('net')}>
              <option value="keep">as now (DHCP on eth0)</option>
              <option value="dhcp">DHCP</option>
              <option value="static">a static address</option>
            </select>
          </Field>
          {f.net === 'static' ? (
            <>
              <Field id="setup-address" label="Address with prefix" hint="e.g. 192.0.2.11/24">
                <input id="setup-address" name="address" required value={f.address} aria-describedby="setup-address-hint" onInput={set('address')} />
              </Field>
              <Field id="setup-gateway" label="Gateway">
                <input id="setup-gateway" name="gateway" value={f.gateway} onInput={set('gateway')} />
              </Field>
              <Field id="setup-dns" label="DNS servers" hint="up to 3, separated by commas">
                <input id="setup-dns" name="dns" value={f.dns} aria-describedby="setup-dns-hint" onInput={set('dns')} />
              </Field>
            </>
          ) : null}
        </fieldset>
        <fieldset class="field">
          <legend>Cluster</legend>
          <Field id="setup-role" label="This node">
            <select id="setup-role" value={f.role} onChange={set('role')}>
              <option value="create">creates a cluster</option>
              <option value="join">joins a cluster</option>
              <option value="none">stays alone for now</option>
            </select>
          </Field>
          {f.role === 'create' ? (
            <>
              <Field id="setup-cluster" label="Cluster name">
                <input id="setup-cluster" name="cluster" required value={f.cluster} onInput={set('cluster')} />
              </Field>
              <Field id="setup-nodes" label="Nodes" hint="NODE=ADDRESS,...; empty: this node at its address">
                <input id="setup-nodes" name="nodes" value={f.nodes} aria-describedby="setup-nodes-hint" onInput={set('nodes')} />
              </Field>
              <Field id="setup-mgmt" label="Management address" hint="optional, with prefix: the console's address in the cluster">
                <input id="setup-mgmt" name="mgmt" value={f.mgmt} aria-describedby="setup-mgmt-hint" onInput={set('mgmt')} />
              </Field>
            </>
          ) : null}
          {f.role === 'join' ? (
            <Field id="setup-bundle" label="Bundle" hint="the file saved with Join bundle on a cluster node's dashboard (or written by vsadm cluster bundle); the node takes the cluster's accounts">
              <textarea id="setup-bundle" name="bundle" required rows={5} value={f.bundle} aria-describedby="setup-bundle-hint" onInput={set('bundle')} />
            </Field>
          ) : null}
        </fieldset>
        {f.role !== 'join' ? (
          <fieldset class="field">
            <legend>First console account (admin)</legend>
            <Field id="setup-admin" label="Account">
              <input id="setup-admin" name="admin" required autocomplete="username" value={f.admin} onInput={set('admin')} />
            </Field>
            <Field id="setup-password" label="Password">
              <input id="setup-password" name="password" type="password" required autocomplete="new-password" value={f.password} onInput={set('password')} />
            </Field>
            <Field id="setup-password2" label="Password again">
              <input id="setup-password2" name="password2" type="password" required autocomplete="new-password" value={f.password2} onInput={set('password2')} />
            </Field>
          </fieldset>
        ) : null}
        <button type="submit" class="btn primary" disabled={busy}>{busy ? 'Setting up…' : 'Set up'}</button>
        {error ? <p class="error" role="alert">{error}</p> : null}
      </form>
    </main>
  );
}
