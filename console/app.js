// The operator console: plain ES modules, no framework and no build step, so the files served by
// `npm start` are exactly the ones the CDK uploads to S3. Every value from the API is put into the
// page as text (never as HTML).

import { rulesPanel } from './rules-panel.js';

const state = { apiUrl: '', token: '' };
const $ = (sel) => document.querySelector(sel);

/** Creates an element: h('p', { class: 'x' }, 'text', child). Attributes set as properties when they exist. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

function setStatus(text, isError = false) {
  const el = $('#status');
  el.textContent = text;
  el.classList.toggle('error', isError);
}

async function api(path, init = {}) {
  const headers = { ...(init.headers ?? {}) };
  if (state.token) headers.authorization = `Bearer ${state.token}`;
  const res = await fetch(state.apiUrl + path, { ...init, headers });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

const money = (price, currency) => {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency || 'EUR', maximumFractionDigits: 2 }).format(price);
  } catch {
    return `${price} ${currency ?? ''}`;
  }
};
const fmt = (x, digits = 4) => (typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toFixed(digits)) : String(x));

/** Presigned photo URLs, one request per product, cached for the page's life (they expire server-side). */
const imageUrls = new Map();
function imageUrl(productId) {
  if (!imageUrls.has(productId)) {
    imageUrls.set(productId, api(`/products/${encodeURIComponent(productId)}/image`).then((b) => b.download_url, () => null));
  }
  return imageUrls.get(productId);
}

function productCard(p, { similarButton = true } = {}) {
  const img = h('img', { alt: p.name, width: 224, height: 224, loading: 'eager', decoding: 'async' });
  const figure = h('div', { class: 'photo' }, img);
  if (p.images?.length) {
    imageUrl(p.id).then((url) => {
      if (url) img.src = url;
      else figure.classList.add('no-photo');
    });
  } else figure.classList.add('no-photo');
  const reasons = (p.reasons ?? []).map((r) => h('li', {}, r));
  return h(
    'li',
    { class: 'card', 'data-product-id': p.id, 'data-price': p.price },
    figure,
    h(
      'div',
      { class: 'card-body' },
      h('h3', { class: 'name' }, p.name),
      h('p', { class: 'meta' }, h('span', { class: 'price' }, money(p.price, p.currency)), ' · ', h('span', { class: 'category' }, p.category || '—'), ' · ', h('code', {}, p.id)),
      p.promoted ? h('p', { class: 'badge' }, 'Promoted') : null,
      reasons.length ? h('ul', { class: 'reasons', 'aria-label': 'Reasons' }, reasons) : null,
      p.score !== undefined ? h('p', { class: 'score' }, `score ${fmt(p.score)}`) : null,
      similarButton ? h('button', { type: 'button', class: 'similar-btn', onclick: () => showSimilar(p) }, 'Similar products') : null,
    ),
  );
}

async function showSimilar(product) {
  const dialog = $('#similar');
  $('#similar-title').textContent = `Similar to ${product.name}`;
  const list = $('#similar-cards');
  list.replaceChildren(h('li', { class: 'loading' }, 'Loading…'));
  if (!dialog.open) dialog.showModal();
  try {
    const body = await api(`/products/${encodeURIComponent(product.id)}/similar?k=8`);
    list.replaceChildren(...body.similar_products.map((p) => productCard(p, { similarButton: false })));
    if (!body.similar_products.length) list.replaceChildren(h('li', {}, 'No similar products yet (embeddings appear after the next retrain).'));
  } catch (err) {
    list.replaceChildren(h('li', { class: 'error' }, err.message));
  }
}

// ---- recommendations ----------------------------------------------------------------------------

const QUERY_FIELDS = ['top_k', 'min_price', 'max_price', 'min_promoted', 'country', 'category'];

function formQuery() {
  const form = $('#query');
  const receiver = form.receiver.value.trim();
  const params = new URLSearchParams();
  for (const f of QUERY_FIELDS) {
    const v = form[f].value.trim();
    if (v !== '') params.set(f, f === 'country' ? v.toUpperCase() : v);
  }
  return { receiver, params };
}

/** Reflects the form in the address bar so a view can be shared: `/?receiver=2&max_price=20000`. */
function syncLocation(receiver, params) {
  const url = new URL(location.href);
  url.search = '';
  if (receiver) url.searchParams.set('receiver', receiver);
  for (const [k, v] of params) url.searchParams.set(k, v);
  if (url.href !== location.href) history.replaceState(null, '', url);
}

let requestSeq = 0;
async function loadRecommendations() {
  const { receiver, params } = formQuery();
  if (!receiver) return;
  syncLocation(receiver, params);
  rememberReceiver(receiver);
  const seq = ++requestSeq;
  setStatus(`Loading recommendations for ${receiver}…`);
  const cards = $('#cards');
  cards.setAttribute('aria-busy', 'true');
  try {
    const body = await api(`/recommendations/${encodeURIComponent(receiver)}?${params}`);
    if (seq !== requestSeq) return; // a newer query superseded this one
    cards.replaceChildren(...body.recommended_products.map((p) => productCard(p)));
    const shortfall = body.promoted_shortfall ? ` · ${body.promoted_shortfall} promoted short of the minimum` : '';
    $('#rec-summary').textContent = `${body.recommended_products.length} products · model ${body.model_version}${body.recommendation_id ? ` · recommendation ${body.recommendation_id}` : ''}${shortfall}`;
    setStatus(`${body.recommended_products.length} recommendations for ${receiver}`);
  } catch (err) {
    if (seq !== requestSeq) return;
    cards.replaceChildren();
    $('#rec-summary').textContent = '';
    setStatus(`Recommendations failed: ${err.message}`, true);
  } finally {
    if (seq === requestSeq) cards.removeAttribute('aria-busy');
  }
  void loadHistory(receiver);
}

async function loadHistory(receiver) {
  const tbody = $('#history tbody');
  const [profile, history] = await Promise.allSettled([
    api(`/users/${encodeURIComponent(receiver)}`),
    api(`/users/${encodeURIComponent(receiver)}/history?limit=20`),
  ]);
  $('#profile').textContent =
    profile.status === 'fulfilled'
      ? `User ${profile.value.id} · country ${profile.value.country ?? '—'} · ${profile.value.interaction_count} events · blacklist ${profile.value.blacklist.length ? profile.value.blacklist.join(', ') : 'none'}`
      : `No profile for ${receiver} (${profile.reason.message}): cold-start recommendations.`;
  if (history.status !== 'fulfilled') {
    tbody.replaceChildren(h('tr', {}, h('td', { colspan: 5 }, `History unavailable: ${history.reason.message}`)));
    return;
  }
  const rows = history.value.events.map((e) =>
    h(
      'tr',
      {},
      h('td', {}, new Date(e.timestamp).toLocaleString()),
      h('td', {}, eventKind(e)),
      h('td', {}, e.product ? `${e.product.name} (${e.productId})` : e.productId),
      h('td', {}, e.userId === receiver ? 'self' : `gift from ${e.userId}`),
      h('td', {}, e.quantity),
    ),
  );
  tbody.replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 5 }, 'No events yet.'))]));
}

/** An event's type; a review with its stars and the start of its text. */
function eventKind(e) {
  if (e.type !== 'review') return e.type;
  const text = e.text ? `: “${e.text.length > 80 ? `${e.text.slice(0, 80)}…` : e.text}”` : '';
  return `review ${e.rating}★${text}`;
}

function rememberReceiver(id) {
  const recent = JSON.parse(localStorage.getItem('recentReceivers') ?? '[]').filter((r) => r !== id);
  recent.unshift(id);
  localStorage.setItem('recentReceivers', JSON.stringify(recent.slice(0, 10)));
  $('#recent-receivers').replaceChildren(...recent.slice(0, 10).map((r) => h('option', { value: r })));
}

// ---- model ----------------------------------------------------------------------------------------

/** A definition list for a flat object; nested objects become nested lists. */
function facts(obj) {
  if (obj === null || obj === undefined) return h('p', {}, '—');
  if (typeof obj !== 'object') return h('span', {}, fmt(obj));
  if (Array.isArray(obj)) return h('span', {}, obj.every((x) => typeof x !== 'object') ? obj.map((x) => fmt(x)).join(', ') : JSON.stringify(obj));
  return h('dl', { class: 'facts' }, Object.entries(obj).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, facts(v))]));
}

/** Horizontal bars (inline SVG) for metrics on a common 0–max scale. */
function barChart(title, rows) {
  const max = Math.max(...rows.map((r) => r.value), 1e-9);
  const height = rows.length * 26 + 10;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 420 ${height}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${title}: ${rows.map((r) => `${r.label} ${fmt(r.value)}`).join(', ')}`);
  rows.forEach((r, i) => {
    const y = 5 + i * 26;
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', '0');
    label.setAttribute('y', String(y + 15));
    label.textContent = r.label;
    const bar = document.createElementNS(ns, 'rect');
    bar.setAttribute('x', '170');
    bar.setAttribute('y', String(y));
    bar.setAttribute('height', '20');
    bar.setAttribute('width', String(Math.max(1, (r.value / max) * 190)));
    bar.setAttribute('class', r.kind ?? 'bar');
    const value = document.createElementNS(ns, 'text');
    value.setAttribute('x', String(175 + (r.value / max) * 190));
    value.setAttribute('y', String(y + 15));
    value.textContent = fmt(r.value);
    svg.append(label, bar, value);
  });
  return h('figure', { class: 'chart' }, h('figcaption', {}, title), svg);
}

function numericPairs(metrics) {
  return Object.entries(metrics ?? {}).filter(([, v]) => typeof v === 'number' && v >= 0 && v <= 1);
}

async function loadModel() {
  const root = $('#model');
  root.replaceChildren(h('p', {}, 'Loading…'));
  try {
    const m = await api('/model');
    const rec = m.recommender ?? {};
    const parts = [
      h('h3', {}, 'Versions'),
      facts({ serving: m.model_version, previous: m.previous_version, promoted_at: m.updated_at, trained_at: rec.createdAt }),
      h('h3', {}, 'Gate'),
      facts(rec.gate ?? null),
      h('h3', {}, 'Family and parameters'),
      facts({ family: rec.family ?? rec.selection?.family ?? 'als', ...(rec.params ?? rec.als ?? {}) }),
    ];
    if (rec.selection) parts.push(h('h3', {}, 'Model selection'), facts(rec.selection));
    parts.push(h('h3', {}, 'Training data'), facts(rec.counts ?? null));
    const pairs = numericPairs(rec.metrics);
    if (pairs.length) parts.push(h('h3', {}, 'Evaluation figures'), barChart('Holdout metrics (leave-last-out)', pairs.map(([k, v]) => ({ label: k, value: v, kind: /popularity/i.test(k) ? 'bar baseline' : 'bar' }))));
    if (rec.ranking) {
      parts.push(h('h3', {}, 'Second stage'), facts({ mode: rec.ranking.mode, reason: rec.ranking.reason }));
      const fig = numericPairs(rec.ranking.figures);
      if (fig.length) parts.push(barChart('Scorer vs ALS order (cross-validated)', fig.map(([k, v]) => ({ label: k, value: v, kind: /als/i.test(k) ? 'bar baseline' : 'bar' }))));
    }
    parts.push(await rulesPanel({ api, h, served: rec.rules }));
    if (m.image_models) {
      // The layer's models serve until a version is activated in the models bucket (README › Image and text models as versions).
      const active = m.content_models ?? {};
      parts.push(h('h3', {}, 'Image models'), facts({
        layer_embedding_version: m.image_models.embedding_version,
        image_model_version: active.image?.version ?? "the layer's",
        text_model_version: active.text?.version ?? "the layer's",
      }));
    }
    root.replaceChildren(...parts);
  } catch (err) {
    root.replaceChildren(h('p', { class: 'error' }, `Model unavailable: ${err.message}`));
  }
}

// ---- online metrics -------------------------------------------------------------------------------

function ratesTable(caption, rows, keyName) {
  // The funnel: reviews are not attributed to recommendations.
  const types = ['view', 'cart', 'wishlist', 'order'];
  return h(
    'table',
    { class: 'table' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, keyName), h('th', { scope: 'col' }, 'impressions'), types.map((t) => h('th', { scope: 'col' }, `${t} rate (count)`)))),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h('tr', {}, h('th', { scope: 'row' }, r.key), h('td', {}, r.impressions), types.map((t) => h('td', {}, `${fmt(r.rates?.[t] ?? 0)} (${r.attributed?.[t] ?? 0})`))),
      ),
    ),
  );
}

async function loadMetrics() {
  const root = $('#metrics');
  root.replaceChildren(h('p', {}, 'Loading…'));
  try {
    const m = await api('/metrics');
    const parts = [];
    const online = m.online;
    if (online) {
      parts.push(
        h('p', { class: 'summary' }, `Attribution window ${online.attribution_window_hours} h · impressions sampled at ${fmt(online.sample_rate, 2)} · kept ${online.retention_days} days · ${online.impressions} impressions recorded`),
        ratesTable('Per model version', online.by_model_version.map((r) => ({ ...r, key: r.model_version })), 'model version'),
        ratesTable('Per reason', online.by_reason.map((r) => ({ ...r, key: r.reason })), 'reason'),
      );
    }
    const rest = Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'online'));
    if (Object.keys(rest).length) parts.push(h('h3', {}, 'Business counters'), facts(rest));
    root.replaceChildren(...(parts.length ? parts : [h('p', {}, 'No metrics yet.')]));
  } catch (err) {
    root.replaceChildren(h('p', { class: 'error' }, `Metrics unavailable: ${err.message}`));
  }
}

// ---- navigation and start-up ----------------------------------------------------------------------

const loaders = { recommend: () => undefined, model: loadModel, metrics: loadMetrics };

function showView() {
  const view = location.hash.replace('#', '') || 'recommend';
  const known = view in loaders ? view : 'recommend';
  for (const section of document.querySelectorAll('main section[data-view]')) section.hidden = section.dataset.view !== known;
  for (const link of document.querySelectorAll('nav a[data-view]')) {
    if (link.dataset.view === known) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  void loaders[known]();
}

async function start() {
  // config.json (written next to the files at deploy time) names the API; locally it is this origin.
  try {
    const res = await fetch('config.json');
    if (res.ok) Object.assign(state, { apiUrl: ((await res.json()).apiUrl ?? '').replace(/\/$/, '') });
  } catch {
    /* same origin */
  }
  state.apiUrl = sessionStorage.getItem('apiUrl') ?? state.apiUrl;
  state.token = sessionStorage.getItem('token') ?? '';
  const settings = $('#settings');
  settings.apiUrl.value = state.apiUrl;
  settings.addEventListener('submit', (e) => {
    e.preventDefault();
    state.apiUrl = settings.apiUrl.value.trim().replace(/\/$/, '');
    state.token = settings.token.value.trim();
    sessionStorage.setItem('apiUrl', state.apiUrl);
    sessionStorage.setItem('token', state.token);
    imageUrls.clear();
    showView();
    void loadRecommendations();
  });

  const form = $('#query');
  const params = new URLSearchParams(location.search);
  form.receiver.value = params.get('receiver') ?? '';
  for (const f of QUERY_FIELDS) if (params.has(f)) form[f].value = params.get(f);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void loadRecommendations();
  });
  // Filters apply as they change (the Show button and Enter do the same for keyboard users).
  let debounce;
  for (const f of QUERY_FIELDS) {
    form[f].addEventListener('change', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => void loadRecommendations(), 150);
    });
  }
  const recent = JSON.parse(localStorage.getItem('recentReceivers') ?? '[]');
  $('#recent-receivers').replaceChildren(...recent.map((r) => h('option', { value: r })));

  window.addEventListener('hashchange', showView);
  showView();
  if (form.receiver.value) await loadRecommendations();
  else setStatus('Choose a receiver to see their recommendations.');
}

void start();
