// Orders: filter by status and drop, ship with a tracking number, refund (managers), export
// CSV, and the attention list. Item texts hold what customers typed: text nodes only.

import * as api from '../api.js';
import { el, clear } from '../dom.js';
import { t } from '../i18n.js';

const STATUSES = ['', 'reserved', 'paid', 'shipped', 'refunded', 'expired', 'cancelled', 'paid_needs_attention'];

function actions(order, reload, error) {
  const cell = el('td', { class: 'actions' });
  if (order.status === 'paid') {
    const tracking = el('input', { placeholder: t('orders.tracking'), 'data-order': order.id, class: 'tracking', size: 12 });
    cell.append(
      tracking,
      el('button', {
        type: 'button',
        class: 'ship',
        text: t('orders.ship'),
        onclick: async () => {
          try {
            await api.post(`/orders/${encodeURIComponent(order.id)}/ship`, { tracking: tracking.value });
            reload();
          } catch (e) {
            error.textContent = e.message;
          }
        },
      }),
    );
  }
  if (['paid', 'shipped', 'paid_needs_attention'].includes(order.status)) {
    cell.append(
      el('button', {
        type: 'button',
        class: 'secondary refund',
        text: t('orders.refund'),
        onclick: async () => {
          if (!confirm(t('orders.confirmRefund', { number: order.number }))) return;
          try {
            await api.post(`/orders/${encodeURIComponent(order.id)}/refund`);
            reload();
          } catch (e) {
            error.textContent = e.message;
          }
        },
      }),
    );
  }
  return cell;
}

function table(orders, reload, error, id) {
  return el(
    'table',
    { id },
    el('thead', {}, el('tr', {}, ['number', 'status', 'created', 'channel', 'items', 'total', 'tracking', ''].map((k) => el('th', { text: k ? t(`orders.${k}`) : '' })))),
    el(
      'tbody',
      {},
      orders.map((o) =>
        el(
          'tr',
          { 'data-order': o.id },
          el('td', { text: o.number }),
          el('td', {}, el('span', { class: `status ${o.status}`, text: t(`status.${o.status}`) })),
          el('td', { text: new Date(o.created_at * 1000).toLocaleString() }),
          el('td', { text: o.channel }),
          el('td', { class: 'items' }, o.items.map((i) => el('div', { class: 'item', text: `${i.quantity} × ${i.item}` })), o.attention.map((a) => el('div', { class: 'error', text: a }))),
          el('td', { class: 'num', text: o.total_text }),
          el('td', { text: o.tracking || '' }),
          actions(o, reload, error),
        ),
      ),
    ),
  );
}

async function download(error) {
  try {
    const csv = await api.get('/orders.csv');
    const link = el('a', { href: URL.createObjectURL(new Blob([csv], { type: 'text/csv' })), download: 'orders.csv' });
    link.click();
    URL.revokeObjectURL(link.href);
  } catch (e) {
    error.textContent = e.message;
  }
}

export default async function orders(main, params) {
  const error = el('p', { class: 'error', id: 'orders-error' });
  const status = el('select', { id: 'status-filter' }, STATUSES.map((s) => el('option', { value: s, text: s ? t(`status.${s}`) : t('orders.all') })));
  const drop = el('input', { id: 'drop-filter', placeholder: t('orders.drop'), size: 10 });
  status.value = params.get('status') || '';
  drop.value = params.get('drop') || '';
  const list = el('div', { class: 'card', id: 'orders-list' });
  const attention = el('div', { class: 'card', id: 'attention' });
  const reload = async () => {
    error.textContent = '';
    const query = new URLSearchParams();
    if (status.value) query.set('status', status.value);
    if (drop.value.trim()) query.set('drop', drop.value.trim());
    try {
      const [all, flagged] = await Promise.all([api.get(`/orders?${query}`), api.get('/orders/attention')]);
      clear(list).append(all.length ? table(all, reload, error, 'orders') : el('p', { class: 'muted', text: t('orders.none') }));
      clear(attention).append(el('h2', { text: t('orders.attention') }), flagged.length ? table(flagged, reload, error, 'attention-orders') : el('p', { class: 'muted', text: t('orders.none') }));
    } catch (e) {
      error.textContent = e.message;
    }
  };
  status.addEventListener('change', reload);
  drop.addEventListener('change', reload);
  main.append(
    el('h1', { text: t('orders.title') }),
    el(
      'div',
      { class: 'filters' },
      el('label', { for: 'status-filter', text: t('orders.status') }),
      status,
      el('label', { for: 'drop-filter', text: t('orders.drop') }),
      drop,
      el('button', { type: 'button', class: 'secondary', id: 'export', text: t('orders.export'), onclick: () => download(error) }),
    ),
    error,
    list,
    attention,
  );
  await reload();
  return null;
}
