// The agent inbox arrives with the handoff work (conversations handed to a person, replies
// through notify's rules). This page only says so; the lead connects the real one.

import { el } from '../dom.js';
import { t } from '../i18n.js';

export default function inbox(main) {
  main.append(
    el('h1', { text: t('inbox.title') }),
    el('div', { class: 'card', id: 'inbox-stub' }, el('p', { class: 'muted', text: t('inbox.soon') })),
  );
}
