// How the master balances virtual servers by load (vsadm balance).
import { api, can } from '../api.js';
import { useApi, Card, Table, ErrorNote, Loading, Form, Badge, clean } from '../ui.jsx';

const SHOWN = [
  ['max_moves', 'Most moves at once'],
  ['cooldown_s', 'Cool-down (s)'],
  ['min_share', 'Least share of capacity', '%'],
  ['trigger', 'Over the ideal by', '%'],
  ['high_water', 'Standby nodes take VSs above', '%'],
  ['low_water', 'Standby nodes emptied below', '%'],
  ['smoothing_s', 'Smoothing (s)'],
  ['lun_busy', 'LUN busy (stays)', '%'],
];
const shown = (v, pct) => (v === undefined || v === null ? '' : pct ? `${Math.round(Number(v) * 100)}%` : String(v));
const INTS = ['max_moves', 'cooldown', 'min_share', 'trigger', 'high_water', 'low_water', 'smoothing', 'lun_busy'];

export function Balance() {
  const b = useApi('/balance', 10000);
  const d = b.data;
  return (
    <div class="grid">
      <Card title="Balancing">
        <ErrorNote error={b.error} />
        {!d && !b.error ? <Loading what="the balancing settings" /> : d ? (
          <>
            <p>Mode: <Badge kind={d.mode === 'off' ? 'neutral' : 'ok'}><span data-balance-mode>{d.mode}</span></Badge></p>
            <Table label="Balancing settings" rows={[...SHOWN.map(([k, t, pct]) => ({ k: t, v: shown(d[k], pct) })), { k: 'Standby nodes', v: (d.standby || []).join(', ') || 'none' }]} cols={[
              { title: 'Setting', key: 'k' },
              { title: 'Value', key: 'v' },
            ]} />
          </>
        ) : null}
      </Card>
      {can('admin') ? (
        <Card title="Change the balancing">
          <Form id="balance-set" label="Change balancing" fields={[
            { name: 'mode', label: 'Mode', options: ['off', 'advise', 'auto'], help: 'off: never; advise: only say which moves would help; auto: move.' },
            { name: 'max_moves', label: 'Most moves at once', type: 'number' },
            { name: 'cooldown', label: 'Cool-down (s)', type: 'number' },
            { name: 'min_share', label: 'Least share of capacity (%)', type: 'number' },
            { name: 'trigger', label: 'Over the ideal by (%)', type: 'number' },
            { name: 'high_water', label: 'Standby nodes take VSs above (%)', type: 'number' },
            { name: 'low_water', label: 'Standby nodes emptied below (%)', type: 'number' },
            { name: 'smoothing', label: 'Smoothing (s)', type: 'number' },
            { name: 'lun_busy', label: 'LUN busy (%)', type: 'number' },
          ]} submit={(x) => api.patch('/balance', clean(x, INTS))} onDone={b.reload} />
          <p class="muted">Empty fields are left as they are; 0 sets the default.</p>
        </Card>
      ) : null}
    </div>
  );
}
