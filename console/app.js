// The console's entry: configuration, language, and a hash router over the pages.

import * as api from './api.js';
import { load, translate, t } from './i18n.js';
import { clear } from './dom.js';
import signin from './pages/signin.js';
import dashboard from './pages/dashboard.js';
import orders from './pages/orders.js';
import inbox from './pages/inbox.js';

const pages = { signin, dashboard, orders, inbox };
const main = document.getElementById('main');
let leave = null;

async function route() {
  if (leave) {
    leave();
    leave = null;
  }
  const [name, query] = (location.hash.replace(/^#\/?/, '') || 'dashboard').split('?');
  const signedIn = Boolean(api.token());
  const page = signedIn ? pages[name] || dashboard : signin;
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('signout').hidden = !signedIn;
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.getAttribute('href') === `#/${name}`);
  }
  clear(main);
  main.dataset.page = signedIn ? name : 'signin';
  leave = (await page(main, new URLSearchParams(query || ''))) || null;
}

async function who() {
  const whoEl = document.getElementById('who');
  whoEl.textContent = '';
  if (!api.token()) return;
  try {
    const me = await api.get('/me');
    whoEl.textContent = t('nav.who', { email: me.email, role: t(`role.${me.role}`) });
  } catch {
    // The page itself says what went wrong.
  }
}

async function start() {
  await Promise.all([api.loadConfig(), load(navigator.languages)]);
  translate();
  document.title = t('app.title');
  document.getElementById('signout').addEventListener('click', () => {
    api.signOut();
    location.hash = '#/signin';
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('chatdrop:signed-in', () => {
    who();
    location.hash = '#/dashboard';
    route();
  });
  who();
  route();
}

start();
