'use strict';
// Portico's dashboard: polls the admin listener's JSON (the same pages /debug/ serves to
// scripts) and draws it. Read-only. Every URL is relative, so the page works on the admin port,
// behind a port-forward or under a path prefix alike. Everything from the cluster (names,
// annotation values, reasons) goes into the page as text, never as markup.

const REFRESH_MS = 5000;

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === 'class') {
      node.className = value;
    } else {
      node.setAttribute(name, value);
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

function svg(tag, attributes) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  return node;
}

async function getJson(path) {
  const reply = await fetch(path, {cache: 'no-store'});
  if (!reply.ok) {
    throw new Error(`${path}: ${reply.status} ${await reply.text()}`);
  }
  return reply.json();
}

function table(headers, rows, empty) {
  if (rows.length === 0) {
    return el('p', {class: 'muted'}, empty);
  }
  return el(
      'table', {}, el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))),
      el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((c) => el('td', {}, c))))));
}

function badge(text, title) {
  const node = el('span', {class: `badge state-${String(text).replace(/\s+/g, '-')}`}, text);
  if (title) {
    node.title = title;
  }
  return node;
}

function dateOf(unixSeconds) {
  if (!unixSeconds) {
    return el('span', {class: 'muted'}, '—');
  }
  const days = Math.floor((unixSeconds * 1000 - Date.now()) / 86400000);
  const text = new Date(unixSeconds * 1000).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const cls = days < 7 ? 'bad' : days < 21 ? 'warn' : 'ok';
  return el(
      'span', {}, text, ' ', el('span', {class: cls}, days < 0 ? '(expired)' : `(${days} d left)`));
}

// A sparkline of `values` (null: no request in that interval), the newest at the right edge of
// a fixed window of `window` points, with its latest value.
function chart(label, values, format, window) {
  const width = 160;
  const height = 36;
  const step = width / Math.max(window - 1, 1);
  const offset = Math.max(window - values.length, 0);
  const known = values.map((v, i) => [i + offset, v]).filter(([, v]) => v !== null);
  const top = Math.max(...known.map(([, v]) => v), 0) || 1;
  const picture = svg('svg', {width, height, viewBox: `0 0 ${width} ${height}`, role: 'img'});
  if (known.length > 0) {
    const points = known.map(
        ([i, v]) =>
            `${(i * step).toFixed(1)},${(height - 2 - (v / top) * (height - 4)).toFixed(1)}`);
    if (points.length === 1) {
      points.unshift(
          `${Math.max(known[0][0] * step - 3, 0).toFixed(1)},${points[0].split(',')[1]}`);
    }
    picture.append(svg('polyline', {points: points.join(' ')}));
  }
  const last = known.length > 0 ? known[known.length - 1][1] : null;
  const node =
      el('div', {
        class: 'chart',
        'data-metric': label,
        'data-points': known.length,
        'data-last': last === null ? '' : last
      },
         picture, el('span', {class: 'label'}, `${label}: ${last === null ? '—' : format(last)}`));
  node.querySelector('svg').setAttribute('aria-label', label);
  return node;
}

const formats = {
  rps: (v) => `${v.toFixed(v < 10 ? 2 : 0)}/s`,
  ratio: (v) => `${(v * 100).toFixed(1)} %`,
  ms: (v) => `${v.toFixed(v < 10 ? 2 : 0)} ms`,
};

function renderSeries(title, column, series, window) {
  const rows = Object.keys(series).map((name) => {
    const s = series[name];
    return [
      el('span', {class: 'mono'}, name),
      [
        chart('requests', s.rps, formats.rps, window),
        chart('5xx share', s.errorRatio, formats.ratio, window),
        chart('p50', s.p50Ms, formats.ms, window), chart('p99', s.p99Ms, formats.ms, window)
      ]
    ];
  });
  return [el('h3', {}, title), table([column, 'last ten minutes'], rows, 'no traffic yet')];
}

function renderTraffic(traffic) {
  if (traffic.times.length === 0) {
    return el(
        'p', {class: 'muted'},
        `collecting: the first point appears ${traffic.intervalSeconds} s after start`);
  }
  const window = Math.round(600 / traffic.intervalSeconds);
  return el(
      'div', {}, renderSeries('Per Ingress', 'Ingress', traffic.ingresses, window),
      renderSeries('Per host', 'Host', traffic.hosts, window));
}

function renderBackend(action) {
  const endpoints = action.endpointStates.length === 0 ?
      el('span', {class: 'bad'}, 'no endpoint (503)') :
      action.endpointStates.map(
          (e) => badge(
              `${e.address} ${e.state}`,
              e.inUse ? 'receives new requests' : 'receives no new requests'));
  return [
    el('span', {class: 'mono'}, action.backend || '—'), ' ',
    el('span', {class: 'muted'}, action.upstreamProtocol), el('div', {}, endpoints)
  ];
}

function renderRoutes(snapshot) {
  if (!snapshot) {
    return el('p', {class: 'muted'}, 'no routing state yet');
  }
  const parts = snapshot.hosts.map(
      (host) =>
          [el('h3', {class: 'mono'}, host.host),
           table(
               ['path', 'type', 'Ingress', 'backend and endpoints'],
               host.rules.map(
                   (r) =>
                       [el('span', {class: 'mono'}, r.path), r.pathType, r.ingress,
                        [
                          renderBackend(r),
                          r.canary ? el('div', {class: 'warn'},
                                        `canary: ${r.canary.backend} (${r.canary.ingress})`) :
                                     null
                        ]]),
               'no rules')]);
  if (snapshot.defaultBackend) {
    parts.push(
        el('h3', {}, 'Default backend'), el('div', {}, renderBackend(snapshot.defaultBackend)));
  }
  return el('div', {}, parts.length ? parts : el('p', {class: 'muted'}, 'no host is served'));
}

function renderCertificates(data) {
  const rows = data.certificates.map(
      (c) =>
          [el('span', {class: 'mono'}, c.host), c.source, dateOf(c.notAfter),
           c.acme ?
               [
                 badge(c.acme.state), c.acme.renewAt ? ['renews ', dateOf(c.acme.renewAt)] : null,
                 c.acme.lastError ? el('div', {class: 'bad'}, c.acme.lastError) : null
               ] :
               el('span', {class: 'muted'}, 'not ACME')]);
  const parts = [table(['host', 'source', 'not after', 'ACME'], rows, 'no certificate')];
  if (data.acme.length > 0) {
    parts.push(
        el('h3', {}, 'ACME orders'),
        table(
            ['Secret', 'names', 'state', 'not after', 'next renewal', 'last error'],
            data.acme.map(
                (o) =>
                    [el('span', {class: 'mono'}, o.secret), o.names.join(', '), badge(o.state),
                     dateOf(o.notAfter), dateOf(o.renewAt), o.lastError || '—']),
            ''));
  }
  return el('div', {}, parts);
}

function renderObjects(data) {
  return el(
      'div', {}, el('h3', {}, 'Annotations'),
      table(
          ['Ingress', 'annotation', 'value', 'verdict'],
          data.annotations.map(
              (a) =>
                  [a.ingress, el('span', {class: 'mono'}, a.annotation),
                   el('span', {class: 'mono'}, a.value),
                   el('span', {class: a.warning ? 'warn' : 'ok'}, a.verdict)]),
          'no annotation Portico reads'),
      el('h3', {}, 'Invalid objects (skipped)'),
      table(
          ['where', 'object', 'reason'],
          data.invalid.map(
              (o) =>
                  [o.source, el('span', {class: 'mono'}, o.object),
                   el('span', {class: 'bad'}, o.reason)]),
          'none'));
}

function renderControl(control) {
  const source = control.source || {};
  const sourceText = source.kind === 'manifests' ? `manifests: ${source.paths.join(', ')}` :
      source.kind ? `API server ${source.server}, namespace ${source.namespace}` :
                    'none';
  const facts = [
    ['source', sourceText],
    ['ready', control.ready ? el('span', {class: 'ok'}, 'yes') : el('span', {class: 'bad'}, 'no')],
    ['snapshot generation', control.generation],
    ['workers', control.workers],
    [
      'leader',
      control.leader ?
          [
            control.leader.isLeader ? badge('leader') : badge('follower'),
            ` ${control.leader.identity} (Lease ${control.leader.lease})`
          ] :
          el('span', {class: 'muted'}, 'no election (manifests)')
    ],
  ];
  const parts = [table(['', ''], facts, '')];
  if (control.watches.length > 0) {
    parts.push(
        el('h3', {}, 'Watches'),
        table(
            ['kind', 'state', 'lists', 'restarts', 'events', 'malformed', 'failures'],
            control.watches.map(
                (w) =>
                    [w.kind, badge(w.state), w.lists, w.restarts, w.events, w.malformed,
                     w.failures]),
            ''));
  }
  parts.push(
      el('h3', {}, 'Snapshots published (newest first)'),
      table(
          ['generation', 'when', 'build', 'what changed'],
          control.published.map(
              (p) =>
                  [p.generation, new Date(p.unixMs).toLocaleTimeString(),
                   `${p.buildMs.toFixed(2)} ms`, p.changed]),
          'none yet'));
  return el('div', {}, parts);
}

function show(id, render, data) {
  const target = document.getElementById(id);
  try {
    target.replaceChildren(render(data));
  } catch (error) {
    target.replaceChildren(el('p', {class: 'bad'}, `cannot show this: ${error.message}`));
  }
}

async function refresh() {
  const pages =
      ['debug/snapshot', 'debug/traffic', 'debug/certificates', 'debug/objects', 'debug/control'];
  const results = await Promise.allSettled(pages.map(getJson));
  const [snapshot, traffic, certificates, objects, control] =
      results.map((r) => (r.status === 'fulfilled' ? r.value : null));
  const failed = results.filter((r) => r.status === 'rejected');
  if (results[0].status === 'fulfilled')
    show('routes', renderRoutes, snapshot);
  if (traffic)
    show('traffic', renderTraffic, traffic);
  if (certificates)
    show('certificates', renderCertificates, certificates);
  if (objects)
    show('objects', renderObjects, objects);
  if (control) {
    show('control', renderControl, control);
    const hosts = snapshot ? snapshot.hosts.length : 0;
    document.getElementById('summary').replaceChildren(
        'generation ', el('b', {}, control.generation), ' · ',
        control.ready ? 'ready' : el('span', {class: 'bad'}, 'not ready'), ' · ',
        el('b', {}, hosts), ` host${hosts === 1 ? '' : 's'}`, ' · ',
        control.source && control.source.kind ? control.source.kind : 'no source');
  }
  document.getElementById('status').textContent = failed.length ?
      `could not refresh: ${failed.map((r) => r.reason.message).join('; ')}` :
      `read-only · updated ${new Date().toLocaleTimeString()} · refreshes every ${
          REFRESH_MS / 1000} s`;
  document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
}

async function explain(event) {
  if (event) {
    event.preventDefault();
  }
  const form = document.getElementById('explain-form');
  const query = new URLSearchParams();
  query.set('url', form.url.value.trim());
  if (form.method.value.trim())
    query.set('method', form.method.value.trim());
  if (form.client.value.trim())
    query.set('client', form.client.value.trim());
  for (const line of form.headers.value.split('\n')) {
    if (line.trim())
      query.append('header', line.trim());
  }
  const result = document.getElementById('explain-result');
  try {
    const reply = await fetch(`debug/explain?${query}`, {cache: 'no-store'});
    if (!reply.ok) {
      result.replaceChildren(el('p', {class: 'bad'}, await reply.text()));
      return;
    }
    const answer = await reply.json();
    result.replaceChildren(
        el('div', {class: 'outcome', id: 'explain-outcome'}, el('b', {}, 'Outcome: '),
           answer.outcome),
        answer.decision ? el('div', {}, el('b', {}, 'Why: '), answer.decision) : null,
        el('pre', {}, JSON.stringify(answer, null, 2)));
    result.dataset.explained = 'true';
  } catch (error) {
    result.replaceChildren(el('p', {class: 'bad'}, `explain failed: ${error.message}`));
  }
}

document.getElementById('explain-form').addEventListener('submit', explain);
// #explain=URL asks at once: a link to an answer can be shared.
if (location.hash.startsWith('#explain=')) {
  document.getElementById('explain-url').value = decodeURIComponent(location.hash.slice(9));
  explain();
}
refresh();
setInterval(refresh, REFRESH_MS);
