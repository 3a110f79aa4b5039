// The console's words in the browser's language: one small JSON file per shipped locale
// (locales/<tag>.json, the same nine locales the chat speaks). Missing keys fall back to English.

export const SHIPPED = ['en', 'es', 'pt-BR', 'zh-Hans', 'zh-Hant', 'ja', 'ko', 'th', 'id'];

// Picks the first of the browser's languages we ship: zh-TW/zh-HK/zh-Hant → zh-Hant, any
// other Chinese → zh-Hans, any Portuguese → pt-BR, else by the primary subtag.
export function pick(languages) {
  for (const tag of languages || []) {
    const lower = tag.toLowerCase();
    const primary = lower.split('-')[0];
    if (primary === 'zh') {
      return /-(hant|tw|hk|mo)\b/.test(lower) ? 'zh-Hant' : 'zh-Hans';
    }
    if (primary === 'pt') return 'pt-BR';
    const found = SHIPPED.find((s) => s.toLowerCase() === primary);
    if (found) return found;
  }
  return 'en';
}

let words = {};
let fallback = {};
export let lang = 'en';

export async function load(languages) {
  lang = pick(languages);
  fallback = await (await fetch('locales/en.json')).json();
  words = lang === 'en' ? fallback : await (await fetch(`locales/${lang}.json`)).json();
  document.documentElement.lang = lang;
}

// The text of `key` with `{name}` replaced by `vars.name`. Always used as textContent.
export function t(key, vars = {}) {
  const template = words[key] ?? fallback[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

// Fills every element marked data-i18n under `root`.
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
}
