// The agent inbox: conversations handed to a person (waiting, mine, all; filtered), one
// conversation opened beside the list (both sides of the thread with delivery statuses, the
// cart, the orders, consent, private notes), and the actions: reply, pay link, assign, note,
// hand back. Both panes refresh every few seconds, so a customer waiting appears by itself.
//
// Everything a customer or an agent typed goes in through el(..., { text }) — textContent —
// so `<script>` in a message is shown as those characters, never parsed or run.

import * as api from '../api.js';
import { el, clear } from '../dom.js';
import { t, SHIPPED } from '../i18n.js';

const REFRESH_MS = 3000;
const VIEWS = ['waiting', 'mine', 'all'];
const CHANNELS = ['', 'whatsapp', 'messenger', 'telegram', 'line', 'wechat', 'viber', 'kakao', 'sms'];
const STATUSES = ['', 'reserved', 'paid', 'shipped', 'refunded', 'expired', 'cancelled', 'paid_needs_attention'];

const time = (seconds) => new Date(seconds * 1000).toLocaleString();

function select(id, values, label) {
  return el('select', { id }, values.map((v) => el('option', { value: v, text: v ? label(v) : t('inbox.any') })));
}

function who(row) {
  return row.state === 'agent' ? t('inbox.state.agent', { agent: row.agent_email || row.agent }) : t('inbox.state.waiting');
}

function listItem(row, open, selected) {
  return el(
    'li',
    { 'data-conversation': row.id, class: [row.id === selected ? 'selected' : '', row.escalated ? 'escalated' : ''].join(' ').trim() || undefined },
    el(
      'button',
      { type: 'button', class: 'row', onclick: () => open(row.id) },
      el('span', { class: 'channel', text: row.channel }),
      el('span', { class: 'lang', text: row.lang }),
      el('span', { class: 'state', text: who(row) }),
      el('span', { class: 'reason', text: t(`inbox.reason.${row.reason}`) }),
      el('span', { class: 'since muted', text: t('inbox.since', { time: time(row.since) }) }),
    ),
  );
}

function message(m) {
  const from = m.from === 'agent' ? t('inbox.from.agent', { agent: m.agent_email || '' }) : t(`inbox.from.${m.from}`);
  return el(
    'li',
    { class: `message from-${m.from}` },
    el('div', { class: 'meta muted' }, el('span', { class: 'author', text: from }), ' · ', el('span', { text: time(m.at) }), ' · ', el('span', { class: 'delivery', text: t(`inbox.delivery.${m.status}`) })),
    el('div', { class: 'text', text: m.text }),
  );
}

function details(view) {
  const consent = [view.consent.reachable ? t('inbox.reachable') : t('inbox.unreachable'), t(`inbox.announce.${view.consent.announcements}`)].join(' · ');
  return [
    el('h2', {}, el('span', { text: `${view.channel} · ${view.lang} · ` }), el('span', { id: 'conversation-state', text: who(view) }), el('span', { class: 'muted', text: ` · ${t(`inbox.reason.${view.reason}`)}` })),
    el('p', { class: 'muted', id: 'consent', text: `${t('inbox.consent')}: ${consent}` }),
    view.reply_refused ? el('p', { class: 'error', id: 'reply-refused', text: t('inbox.replyRefused', { reason: view.reply_refused }) }) : null,
    el('ul', { id: 'messages', class: 'messages' }, view.messages.map(message)),
    el('h3', { text: t('inbox.cart') }),
    el(
      'div',
      { id: 'cart' },
      view.cart.length
        ? [...view.cart.map((l) => el('div', { class: 'item', text: `${l.quantity} × ${l.item}` })), el('div', { class: 'muted', text: t('inbox.cartTotal', { total: view.cart_total }) })]
        : el('p', { class: 'muted', text: t('inbox.cartEmpty') }),
    ),
    el('h3', { text: t('inbox.orders') }),
    el(
      'div',
      { id: 'conversation-orders' },
      view.orders.length
        ? view.orders.map((o) => el('div', { class: 'order', 'data-order': o.id }, el('span', { text: `${o.number} ` }), el('span', { class: `status ${o.status}`, text: t(`status.${o.status}`) }), el('span', { class: 'muted', text: ` ${o.total_text} · ${o.items.map((i) => `${i.quantity} × ${i.item}`).join(', ')}` })))
        : el('p', { class: 'muted', text: t('inbox.noOrders') }),
    ),
    el('h3', { text: t('inbox.notes') }),
    el(
      'ul',
      { id: 'notes', class: 'notes' },
      view.notes.length ? view.notes.map((n) => el('li', { class: 'note' }, el('div', { class: 'meta muted', text: `${n.email} · ${time(n.at)}` }), el('div', { class: 'text', text: n.text }))) : el('li', { class: 'muted', text: t('inbox.noNotes') }),
    ),
  ];
}

// The conversation pane: details refreshed in place, the forms kept (a half-typed reply
// survives a refresh).
function conversationPane(id, agents, onChange) {
  const pane = el('div', { class: 'card conversation', id: 'conversation', 'data-conversation': id });
  const body = el('div', { id: 'conversation-body' });
  const status = el('p', { class: 'muted', id: 'conversation-status' });
  const error = el('p', { class: 'error', id: 'conversation-error' });
  const run = async (action, payload, done) => {
    error.textContent = '';
    status.textContent = '';
    try {
      await api.post(`/conversations/${encodeURIComponent(id)}/${action}`, payload);
      status.textContent = done;
      await refresh();
      onChange();
      return true;
    } catch (e) {
      error.textContent = e.message;
      return false;
    }
  };
  const replyText = el('textarea', { id: 'reply-text', rows: 3, placeholder: t('inbox.replyPlaceholder') });
  const noteText = el('textarea', { id: 'note-text', rows: 2, placeholder: t('inbox.notePlaceholder') });
  const assignTo = el('select', { id: 'assign-to' }, agents.map((a) => el('option', { value: a.id, text: a.email })));
  const forms = el(
    'div',
    { class: 'forms' },
    replyText,
    el('div', { class: 'buttons' },
      el('button', { type: 'button', id: 'reply-send', text: t('inbox.send'), onclick: async () => { if (await run('reply', { text: replyText.value }, t('inbox.sent'))) replyText.value = ''; } }),
      el('button', { type: 'button', class: 'secondary', id: 'pay-link', text: t('inbox.payLink'), onclick: () => run('pay-link', {}, t('inbox.payLinkSent')) }),
      el('button', { type: 'button', class: 'secondary', id: 'assign-me', text: t('inbox.assignMe'), onclick: () => run('assign', {}, t('inbox.assigned')) }),
      assignTo,
      el('button', { type: 'button', class: 'secondary', id: 'assign', text: t('inbox.assign'), onclick: () => run('assign', { agent: assignTo.value }, t('inbox.assigned')) }),
      el('button', { type: 'button', class: 'secondary', id: 'hand-back', text: t('inbox.handBack'), onclick: () => run('hand-back', {}, t('inbox.handedBack')) }),
    ),
    noteText,
    el('div', { class: 'buttons' },
      el('button', { type: 'button', class: 'secondary', id: 'note-add', text: t('inbox.addNote'), onclick: async () => { if (await run('notes', { text: noteText.value }, t('inbox.noted'))) noteText.value = ''; } }),
    ),
  );
  async function refresh() {
    try {
      const view = await api.get(`/conversations/${encodeURIComponent(id)}`);
      clear(body).append(...details(view).filter(Boolean));
      // The latest message in sight, as in a chat app.
      const messages = body.querySelector('#messages');
      messages.scrollTop = messages.scrollHeight;
      pane.dataset.state = view.state;
    } catch (e) {
      clear(body).append(el('p', { class: 'muted', text: e.status === 404 ? t('inbox.gone') : e.message }));
    }
  }
  pane.append(body, error, status, forms);
  return { pane, refresh };
}

export default async function inbox(main, params) {
  let selected = params.get('c') || null;
  let current = null;
  const error = el('p', { class: 'error', id: 'inbox-error' });
  const view = select('view-filter', VIEWS, (v) => t(`inbox.${v}`));
  view.value = params.get('view') || 'waiting';
  const channel = select('channel-filter', CHANNELS, (v) => v);
  const lang = select('lang-filter', ['', ...SHIPPED], (v) => v);
  const status = select('order-status-filter', STATUSES, (v) => t(`status.${v}`));
  const drop = el('input', { id: 'inbox-drop-filter', placeholder: t('inbox.drop'), size: 10 });
  const list = el('ul', { id: 'inbox-list', class: 'inbox-list' });
  const side = el('div', { class: 'inbox-side' }, el('p', { class: 'muted', text: t('inbox.pick') }));
  let agents = [];

  const reload = async () => {
    const query = new URLSearchParams({ view: view.value });
    for (const [name, input] of [['channel', channel], ['lang', lang], ['status', status], ['drop', drop]]) {
      if (input.value.trim()) query.set(name, input.value.trim());
    }
    try {
      const rows = await api.get(`/conversations?${query}`);
      error.textContent = '';
      clear(list).append(...(rows.length ? rows.map((r) => listItem(r, open, selected)) : [el('li', { class: 'muted', text: t('inbox.none') })]));
    } catch (e) {
      error.textContent = e.message;
    }
  };
  async function open(id) {
    selected = id;
    current = conversationPane(id, agents, reload);
    clear(side).append(current.pane);
    for (const li of list.querySelectorAll('li[data-conversation]')) li.classList.toggle('selected', li.dataset.conversation === id);
    await current.refresh();
  }
  for (const input of [view, channel, lang, status, drop]) input.addEventListener('change', reload);
  main.append(
    el('h1', { text: t('inbox.title') }),
    el(
      'div',
      { class: 'filters' },
      el('label', { for: 'view-filter', text: t('inbox.view') }), view,
      el('label', { for: 'channel-filter', text: t('inbox.channel') }), channel,
      el('label', { for: 'lang-filter', text: t('inbox.lang') }), lang,
      el('label', { for: 'order-status-filter', text: t('inbox.status') }), status,
      drop,
    ),
    error,
    el('div', { class: 'inbox' }, el('div', { class: 'card' }, list), side),
  );
  try {
    agents = await api.get('/agents');
  } catch (e) {
    error.textContent = e.message;
  }
  await reload();
  if (selected) await open(selected);
  const timer = setInterval(() => {
    reload();
    if (current) current.refresh();
  }, REFRESH_MS);
  return () => clearInterval(timer);
}
