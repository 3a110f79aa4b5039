// Sign-in: email and password to Cognito (USER_PASSWORD_AUTH).

import * as api from '../api.js';
import { el } from '../dom.js';
import { t } from '../i18n.js';

export default function signin(main) {
  const error = el('p', { class: 'error', role: 'alert', id: 'signin-error' });
  const email = el('input', { type: 'email', id: 'email', autocomplete: 'username', required: true });
  const password = el('input', { type: 'password', id: 'password', autocomplete: 'current-password', required: true });
  const form = el(
    'form',
    {
      class: 'signin card',
      id: 'signin',
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = '';
        try {
          await api.signIn(email.value.trim(), password.value);
          window.dispatchEvent(new Event('chatdrop:signed-in'));
        } catch (e) {
          error.textContent = t('signin.failed', { reason: e.message });
        }
      },
    },
    el('h1', { text: t('signin.title') }),
    el('label', { for: 'email', text: t('signin.email') }),
    email,
    el('label', { for: 'password', text: t('signin.password') }),
    password,
    el('button', { type: 'submit', id: 'signin-submit', text: t('signin.submit') }),
    error,
  );
  main.append(form);
}
