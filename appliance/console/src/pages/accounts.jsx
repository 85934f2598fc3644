// The console's own accounts (admins only): add, new password, remove.
import { api, can, enc, session } from '../api.js';
import { useApi, Card, Table, ErrorNote, Loading, Action, Form, Badge } from '../ui.jsx';

export function Accounts() {
  const a = useApi(can('admin') ? '/admins' : null, 10000);
  if (!can('admin')) return <p>Only an admin sees the console's accounts.</p>;
  const me = session().name;
  return (
    <div class="grid">
      <Card title="Accounts">
        <ErrorNote error={a.error} />
        {!a.data && !a.error ? <Loading what="the accounts" /> : (
          <Table label="Console accounts" rows={a.data || []} cols={[
            { title: 'Name', key: 'name' },
            { title: 'Role', render: (x) => <Badge kind="neutral">{x.role}</Badge> },
            { title: '', render: (x) => (x.name === me ? <span class="muted">you</span> :
              <Action label="Remove" kind="danger" confirm={`Remove the console account ${x.name}?`} run={() => api.del(`/admins/${enc(x.name)}`)} onDone={a.reload} />) },
          ]} />
        )}
      </Card>
      <Card title="Add an account">
        <Form id="admin-add" label="Add account" fields={[
          { name: 'name', label: 'Account name', required: true },
          { name: 'role', label: 'Role', options: ['admin', 'operator', 'read-only'], required: true },
          { name: 'password', label: 'Password', type: 'password', required: true, help: 'at least 8 characters' },
        ]} submit={(x) => api.post('/admins', x)} onDone={a.reload} />
      </Card>
      <Card title="Change a password">
        <Form id="admin-pw" label="Set password" fields={[
          { name: 'account', label: 'Account', options: (a.data || []).map((x) => x.name), required: true },
          { name: 'password', label: 'New password', type: 'password', required: true },
        ]} submit={(x) => api.put(`/admins/${enc(x.account)}/password`, { password: x.password })} />
      </Card>
    </div>
  );
}
