// The file users and groups of a VS (R13: not the console's accounts).
import { api, can, enc } from '../api.js';
import { useApi, Card, Table, ErrorNote, Loading, Action, Form, clean } from '../ui.jsx';

export function Users({ vs }) {
  const list = useApi('/vservers');
  const names = (list.data || []).map((v) => v.name);
  const pick = vs || names[0] || '';
  const p = `/vservers/${enc(pick)}`;
  const users = useApi(pick ? `${p}/users` : null, 10000);
  const groups = useApi(pick ? `${p}/groups` : null, 10000);
  const admin = can('admin');
  const unames = (users.data || []).map((u) => u.name);
  const gnames = (groups.data || []).map((g) => g.name);
  const both = () => { users.reload(); groups.reload(); };
  return (
    <div class="grid">
      <Card title="Virtual server">
        <div class="field">
          <label for="users-vs">Users and groups of</label>
          <select id="users-vs" value={pick} onChange={(e) => { location.hash = `#/users/${enc(e.currentTarget.value)}`; }}>
            {names.map((n) => <option value={n}>{n}</option>)}
          </select>
        </div>
      </Card>
      {pick ? (
        <>
          <Card title="Users">
            <ErrorNote error={users.error} />
            {!users.data && !users.error ? <Loading what="the users" /> : (
              <Table label="Users" rows={users.data || []} empty="No user." cols={[
                { title: 'Name', key: 'name' },
                { title: 'UID', key: 'uid' },
                { title: 'Groups', render: (u) => (u.groups || []).join(', ') },
                ...(admin ? [{ title: '', render: (u) => <Action label="Remove" kind="danger" confirm={`Remove the user ${u.name}?`} run={() => api.del(`${p}/users/${enc(u.name)}`)} onDone={users.reload} /> }] : []),
              ]} />
            )}
            {admin ? <Form id="user-add" label="Add user" fields={[
              { name: 'name', label: 'User name', required: true },
              { name: 'uid', label: 'UID', type: 'number' },
              { name: 'password', label: 'SMB password', type: 'password' },
            ]} submit={(x) => api.post(`${p}/users`, clean(x, ['uid']))} onDone={users.reload} /> : null}
            {admin ? <Form id="user-passwd" label="Set password" fields={[
              { name: 'user', label: 'User', required: true, options: unames },
              { name: 'password', label: 'New SMB password', type: 'password', required: true, help: '8 to 256 characters; never shown again.' },
            ]} submit={(x) => api.put(`${p}/users/${enc(x.user)}/password`, { password: x.password })} /> : null}
          </Card>
          <Card title="Groups">
            <ErrorNote error={groups.error} />
            {!groups.data && !groups.error ? <Loading what="the groups" /> : (
              <Table label="Groups" rows={groups.data || []} empty="No group." cols={[
                { title: 'Name', key: 'name' },
                { title: 'GID', key: 'gid' },
                { title: 'Members', render: (g) => (admin && (g.members || []).length ? (
                  <ul class="members">
                    {g.members.map((m) => (
                      <li>{m} <Action label={`Remove ${m}`} name={`member-remove-${g.name}-${m}`} kind="danger" confirm={`Remove ${m} from the group ${g.name}?`}
                        run={() => api.del(`${p}/groups/${enc(g.name)}/members/${enc(m)}`)} onDone={both} /></li>
                    ))}
                  </ul>
                ) : (g.members || []).join(', ')) },
                ...(admin ? [{ title: '', render: (g) => <Action label="Remove" kind="danger" confirm={`Remove the group ${g.name}?`} run={() => api.del(`${p}/groups/${enc(g.name)}`)} onDone={groups.reload} /> }] : []),
              ]} />
            )}
            {admin ? <Form id="group-add" label="Add group" fields={[
              { name: 'name', label: 'Group name', required: true },
              { name: 'gid', label: 'GID', type: 'number' },
            ]} submit={(x) => api.post(`${p}/groups`, clean(x, ['gid']))} onDone={groups.reload} /> : null}
            {admin ? <Form id="member-add" label="Add member" fields={[
              { name: 'group', label: 'Group', required: true, options: gnames },
              { name: 'user', label: 'User', required: true, options: unames },
            ]} submit={(x) => api.post(`${p}/groups/${enc(x.group)}/members`, { user: x.user })} onDone={both} /> : null}
          </Card>
        </>
      ) : null}
    </div>
  );
}
