// The daemon's live page: the state stream (/api/v1/stream) drawn per market — the book with our
// quotes marked, P&L and inventory charts, predictions against outcomes, risk and feed state —
// and the controls (pause, resume, kill, release), which ask for an admin token and keep it in
// memory for this page only.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { MarketView, StreamFrame } from '../api/control.js';

const HISTORY = 600;
const STREAM_HZ = 4;

let token: string | null = null;

const $ = <T extends Element>(selector: string, root: ParentNode = document): T => {
  const el = root.querySelector<T>(selector);
  if (el === null) throw new Error(`missing ${selector}`);
  return el;
};

function say(text: string, bad = false): void {
  const el = $<HTMLElement>('#message');
  el.textContent = text;
  el.style.color = bad ? '#c62828' : '';
}

// --- number formatting: ticks and lots to the market's decimals

function decimalsOf(step: string): number {
  const dot = step.indexOf('.');
  return dot < 0 ? 0 : step.length - dot - 1;
}

function scaled(units: number, step: string): string {
  return (units * Number(step)).toFixed(decimalsOf(step));
}

// --- per-market panels

interface Panel {
  readonly root: HTMLElement;
  readonly charts: { pnl: uPlot; inventory: uPlot; prediction: uPlot };
  readonly series: { t: number[]; net: number[]; lots: number[]; mid: number[]; forecast: (number | null)[] };
}

const panels = new Map<string, Panel>();

/** Axis labels with enough decimals for small money amounts. */
const precise = (_u: uPlot, values: number[]): string[] => values.map((v) => (Math.abs(v) < 1 ? v.toPrecision(2) : v.toFixed(2)));

function chart(el: HTMLElement, label: string, extra?: uPlot.Series, money = false): uPlot {
  const series: uPlot.Series[] = [{}, { label, stroke: '#1565c0', width: 1.5 }];
  if (extra !== undefined) series.push(extra);
  const scales = extra === undefined ? undefined : { y2: { auto: true } };
  const axes: uPlot.Axis[] = [{}, money ? { values: precise, size: 84 } : {}];
  if (extra !== undefined) axes.push({ scale: 'y2', side: 1, grid: { show: false } });
  return new uPlot({ width: Math.max(320, el.clientWidth || 380), height: 180, series, axes, ...(scales ? { scales } : {}) }, [[], [], ...(extra ? [[]] : [])], el);
}

function panelFor(m: MarketView): Panel {
  const existing = panels.get(m.symbol);
  if (existing !== undefined) return existing;
  const template = $<HTMLTemplateElement>('#market-template');
  const root = (template.content.firstElementChild as HTMLElement).cloneNode(true) as HTMLElement;
  root.dataset['symbol'] = m.symbol;
  $<HTMLElement>('.symbol', root).textContent = m.symbol;
  $<HTMLButtonElement>('.pause', root).addEventListener('click', () => void act(`pause ${m.symbol}`, `/api/v1/admin/markets/${encodeURIComponent(m.symbol)}/pause`));
  $<HTMLButtonElement>('.resume', root).addEventListener('click', () => void act(`resume ${m.symbol}`, `/api/v1/admin/markets/${encodeURIComponent(m.symbol)}/resume`));
  $<HTMLElement>('#markets').append(root);
  const panel: Panel = {
    root,
    charts: {
      pnl: chart($('.pnl-chart', root), 'net P&L', undefined, true),
      inventory: chart($('.inventory-chart', root), 'position (lots)'),
      prediction: chart($('.prediction-chart', root), 'mid (ticks)', { label: 'forecast p(up) − p(down)', stroke: '#ef6c00', scale: 'y2' }),
    },
    series: { t: [], net: [], lots: [], mid: [], forecast: [] },
  };
  panels.set(m.symbol, panel);
  return panel;
}

function renderBook(body: HTMLTableSectionElement, m: MarketView): void {
  const ours = new Map<string, number>();
  for (const q of m.quotes) ours.set(`${q.side}:${q.price}`, (ours.get(`${q.side}:${q.price}`) ?? 0) + q.size - q.filled);
  const row = (side: 'ask' | 'bid', price: number, size: number): HTMLTableRowElement => {
    const tr = document.createElement('tr');
    const mine = ours.get(`${side === 'bid' ? 'buy' : 'sell'}:${price}`);
    tr.className = mine === undefined ? side : `${side} ours`;
    for (const text of [mine === undefined ? '' : scaled(mine, m.lotSize), scaled(price, m.tickSize), scaled(size, m.lotSize)]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  };
  const rows = [...m.book.asks].reverse().map((l) => row('ask', l.price, l.size));
  rows.push(...m.book.bids.map((l) => row('bid', l.price, l.size)));
  body.replaceChildren(...rows);
}

function render(m: MarketView, atMs: number): void {
  const p = panelFor(m);
  const risk = $<HTMLElement>('[data-testid="risk"]', p.root);
  risk.textContent = m.risk;
  risk.className = `badge risk ${m.risk}`;
  $<HTMLElement>('.reasons', p.root).textContent = m.reasons.join(', ');
  const age = m.book.ageMs === null ? 'no data yet' : `${Math.round(m.book.ageMs)} ms ago`;
  $<HTMLElement>('[data-testid="feed"]', p.root).textContent = `book ${m.book.valid ? 'valid' : 'INVALID'}, last data ${age}`;
  renderBook($<HTMLTableSectionElement>('tbody', p.root), m);
  $<HTMLElement>('[data-testid="position"]', p.root).textContent = `${scaled(m.position.lots, m.lotSize)} (${m.position.lots} lots)`;
  $<HTMLElement>('[data-testid="pnl"]', p.root).textContent = m.pnl.net ?? '–';
  $<HTMLElement>('[data-testid="pnl-parts"]', p.root).textContent = `${m.pnl.realised ?? '–'} / ${m.pnl.unrealised ?? '–'} / ${m.pnl.fees ?? '–'}`;
  $<HTMLElement>('[data-testid="quotes"]', p.root).textContent = String(m.quotes.length);
  $<HTMLElement>('[data-testid="sigma"]', p.root).textContent = m.sigma === null ? '–' : m.sigma.toFixed(3);
  const na = (field: string) => (m.unavailable.includes(field) ? 'not reported by this daemon' : '–');
  $<HTMLElement>('[data-testid="intensity"]', p.root).textContent = m.A === null || m.k === null ? na('A') : `${m.A.toFixed(3)}, ${m.k.toFixed(3)}`;
  const forecast = m.prediction === null ? null : (m.prediction.probs[0]?.[2] ?? 0) - (m.prediction.probs[0]?.[0] ?? 0);
  $<HTMLElement>('[data-testid="prediction"]', p.root).textContent = forecast === null ? na('prediction') : forecast.toFixed(3);
  $<HTMLElement>('.prediction-note', p.root).textContent = m.unavailable.includes('prediction')
    ? 'This daemon does not report its forecasts yet: the chart shows the outcome (the mid) only.' : '';

  const s = p.series;
  s.t.push(atMs / 1000);
  s.net.push(m.pnl.net === null ? Number.NaN : Number(m.pnl.net));
  s.lots.push(m.position.lots);
  s.mid.push(m.book.mid ?? Number.NaN);
  s.forecast.push(forecast);
  if (s.t.length > HISTORY) for (const xs of Object.values(s)) xs.shift();
  p.charts.pnl.setData([s.t, s.net]);
  p.charts.inventory.setData([s.t, s.lots]);
  p.charts.prediction.setData([s.t, s.mid, s.forecast]);
}

function onFrame(frame: StreamFrame): void {
  $<HTMLElement>('#killed').hidden = !frame.killed;
  for (const m of frame.markets) render(m, frame.atMs);
}

// --- the stream, reconnecting

function connect(): void {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/stream?hz=${STREAM_HZ}`;
  const protocols = token === null ? ['flashmm.v1'] : ['flashmm.v1', `bearer.${token}`];
  const ws = new WebSocket(url, protocols);
  const state = $<HTMLElement>('#feed');
  ws.addEventListener('open', () => {
    state.textContent = 'stream: live';
    state.className = 'badge ok';
  });
  ws.addEventListener('message', (e) => {
    const frame = JSON.parse(String(e.data)) as StreamFrame;
    onFrame(frame);
    ws.send(JSON.stringify({ ack: frame.seq })); // drawn: the server bounds our lag by these
  });
  ws.addEventListener('close', () => {
    state.textContent = 'stream: reconnecting';
    state.className = 'badge bad';
    setTimeout(connect, 1_000);
  });
}

async function loadStatus(): Promise<boolean> {
  const res = await fetch('/api/v1/status', { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  if (res.status === 401) {
    token = null;
    say('this daemon needs a token to read', true);
    return false;
  }
  const s = (await res.json()) as { mode: string; venue: string; markets: { symbol: string }[]; model: { enabled: boolean } };
  $<HTMLElement>('#daemon').textContent = `${s.mode} · venue ${s.venue} · ${s.markets.length} market(s) · model ${s.model.enabled ? 'on' : 'off'}`;
  return true;
}

// --- controls

function askToken(action: string): Promise<string | null> {
  if (token !== null) return Promise.resolve(token);
  const dialog = $<HTMLDialogElement>('#token-dialog');
  const input = $<HTMLInputElement>('#token-input');
  $<HTMLElement>('#token-action').textContent = action;
  input.value = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' && input.value.trim() !== '' ? input.value.trim() : null), { once: true });
  });
}

async function act(action: string, path: string): Promise<void> {
  const given = await askToken(action);
  if (given === null) return say(`${action}: cancelled`);
  say(`${action}: sending…`);
  const res = await fetch(path, { method: 'POST', headers: { authorization: `Bearer ${given}`, 'content-type': 'application/json' }, body: '{}' });
  const body = (await res.json()) as { error?: { message: string }; settled?: boolean; detail?: string };
  if (res.status === 401 || res.status === 403) token = null;
  else token = given;
  if (!res.ok) return say(`${action}: ${res.status} ${body.error?.message ?? ''}`, true);
  say(`${action}: done${body.detail === undefined ? '' : ` (${body.detail})`}`);
}

$<HTMLButtonElement>('#kill').addEventListener('click', () => void act('kill switch', '/api/v1/admin/kill'));
$<HTMLButtonElement>('#release').addEventListener('click', () => void act('release the kill switch', '/api/v1/admin/release'));

async function start(): Promise<void> {
  while (!(await loadStatus())) {
    const given = await askToken('reading the daemon');
    if (given === null) return;
    token = given;
  }
  connect();
}

void start();
