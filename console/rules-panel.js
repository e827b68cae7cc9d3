// The model view's business-rules panel: the rules the serving version applies (its manifest), the
// ones the next retrain will use (GET /config) with their source, what each rule excluded, and a
// form that replaces them (PUT /config; a 400 lists the bad fields). Values go in as text only.

const RULES = [
  ['excludeNotSoldForMonths', 'no order in the last N × 30 days (created earlier)'],
  ['minPrice', 'price below'],
  ['maxPrice', 'price above'],
  ['excludeMostPopularShare', 'most popular share of the catalog'],
  ['excludeLeastPopularShare', 'least popular share of the catalog'],
  ['minItemsPerCategory', 'category with fewer active items than'],
  ['promotedBoost', 'score added to promoted items'],
];
const EXCLUDED = { excludeNotSoldForMonths: 'notSold', minPrice: 'minPrice', maxPrice: 'maxPrice', excludeMostPopularShare: 'mostPopular', excludeLeastPopularShare: 'leastPopular', minItemsPerCategory: 'thinCategory' };

const show = (v) => (v === null || v === undefined || v === 0 ? 'off' : String(v));

/**
 * Builds the panel. `served` is the manifest's `rules` record (absent in versions from before rules);
 * `api` and `h` are the console's fetch wrapper and element builder.
 */
export async function rulesPanel({ api, h, served }) {
  const panel = h('section', { class: 'rules', 'aria-labelledby': 'rules-title' }, h('h3', { id: 'rules-title' }, 'Business rules'));
  let config;
  try {
    config = await api('/config');
  } catch (err) {
    config = undefined;
    panel.append(h('p', { class: 'summary' }, `Active rules unavailable: ${err.message}`));
  }
  const serving = served?.settings;
  const next = config?.rules;
  const rows = RULES.map(([key, what]) =>
    h('tr', {}, h('th', { scope: 'row' }, key), h('td', {}, what), h('td', {}, serving ? show(serving[key]) : '—'), h('td', {}, served?.excluded && EXCLUDED[key] ? String(served.excluded[EXCLUDED[key]]) : '—'), h('td', {}, next ? show(next[key]) : '—')),
  );
  panel.append(
    h('table', { class: 'table' },
      h('caption', {}, `Serving: ${served ? `${served.source}${served.updatedAt ? `, stored ${served.updatedAt}` : ''}; ${served.allowed ?? '?'} items pass` : 'a version from before rules (none applied)'}`),
      h('thead', {}, h('tr', {}, ...['rule', 'excludes', 'serving', 'excluded', 'next retrain'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows),
    ),
  );
  if (config) {
    panel.append(h('p', { class: 'summary' }, `Next retrain: ${config.source}${config.updated_by ? ` (by ${config.updated_by}, ${config.updated_at})` : ''}${config.pending_retrain ? ' · differs from serving: applies from the next retrain' : ' · same as serving'}`));
    const text = h('textarea', { name: 'rules', rows: 9, cols: 48, 'aria-label': 'Business rules as JSON' });
    text.value = JSON.stringify(next, null, 2);
    const out = h('p', { class: 'summary', role: 'status' });
    const form = h('form', {
      class: 'rules-form',
      onsubmit: async (e) => {
        e.preventDefault();
        let body;
        try {
          body = JSON.parse(text.value);
        } catch {
          out.textContent = 'Not JSON';
          return;
        }
        try {
          const saved = await api('/config', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
          out.textContent = `Stored (${saved.updated_at}); the next retrain applies them.`;
        } catch (err) {
          out.textContent = `Refused: ${err.message}`;
        }
      },
    }, text, h('button', { type: 'submit' }, 'Store rules'), out);
    panel.append(form);
  }
  return panel;
}
