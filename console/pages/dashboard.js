// The live drop dashboard: stock per SKU, sales per minute per channel, waitlist, lapsing
// reservations; read again every REFRESH_MS while the page is open.

import * as api from '../api.js';
import { el, clear } from '../dom.js';
import { t } from '../i18n.js';
import { salesChart, legend } from '../chart.js';

const REFRESH_MS = 2000;

function figure(id, label, value) {
  return el('div', { class: 'figure card' }, el('div', { class: 'value', id, text: value }), el('div', { class: 'label', text: label }));
}

function render(view, body) {
  const rows = view.skus.map((s) =>
    el(
      'tr',
      { 'data-sku': s.sku },
      el('td', { text: s.sku }),
      el('td', { class: 'num', 'data-field': 'available', text: s.available }),
      el('td', { class: 'num', 'data-field': 'reserved', text: s.reserved }),
      el('td', { class: 'num', 'data-field': 'sold', text: s.sold }),
      el('td', { class: 'num', 'data-field': 'held', text: s.held }),
      el('td', { class: 'num', 'data-field': 'waiting', text: s.waiting }),
    ),
  );
  clear(body).append(
    el(
      'div',
      { class: 'figures' },
      figure('sales-total', t('dashboard.sales15'), view.sales_total),
      figure('waitlist', t('dashboard.waitlist'), view.waitlist),
      figure('lapsing', t('dashboard.lapsing'), view.lapsing_soon),
    ),
    el(
      'div',
      { class: 'card' },
      el('h2', { class: 'muted', text: t('dashboard.chart') }),
      salesChart(view.sales, view.minutes_from, t('dashboard.chart')),
      legend(view.sales),
    ),
    el(
      'div',
      { class: 'card' },
      el(
        'table',
        { id: 'stock' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ['sku', 'available', 'reserved', 'sold', 'held', 'waiting'].map((k) => el('th', { text: t(`dashboard.${k}`) })),
          ),
        ),
        el('tbody', {}, rows),
      ),
    ),
    el('p', { class: 'muted', id: 'updated', text: t('dashboard.updated', { time: new Date(view.at * 1000).toLocaleTimeString() }) }),
  );
}

export default async function dashboard(main, params) {
  const status = el('p', { class: 'error', id: 'dashboard-error' });
  const body = el('div', { id: 'live' });
  const select = el('select', { id: 'drop' });
  main.append(el('h1', { text: t('dashboard.title') }), el('div', { class: 'filters' }, el('label', { for: 'drop', text: t('dashboard.drop') }), select), status, body);
  let drops = [];
  try {
    drops = await api.get('/drops');
  } catch (e) {
    status.textContent = e.message;
    return null;
  }
  if (!drops.length) {
    body.append(el('p', { class: 'muted', text: t('dashboard.nodrops') }));
    return null;
  }
  for (const d of drops) select.append(el('option', { value: d.id, text: `${d.name} (${d.id})` }));
  select.value = params.get('drop') || drops[0].id;
  let timer = null;
  let stopped = false;
  const refresh = async () => {
    try {
      render(await api.get(`/drops/${encodeURIComponent(select.value)}/live`), body);
      status.textContent = '';
    } catch (e) {
      status.textContent = e.message;
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  };
  select.addEventListener('change', () => {
    clearTimeout(timer);
    refresh();
  });
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
