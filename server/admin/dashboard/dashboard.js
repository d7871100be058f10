// The operator console: polls /api/status once a second and redraws. No framework, no build.
'use strict';
(function () {
  const tokenKey = 'lottery-admin-token';
  // A token may come in the URL fragment (#token=...), which is never sent to the server.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get('token')) {
    sessionStorage.setItem(tokenKey, fragment.get('token'));
    history.replaceState(null, '', location.pathname);
  }
  const $ = (id) => document.getElementById(id);
  const number = (n) => (n === null || n === undefined) ? '–' : Number(n).toLocaleString('en-US');
  const stateLabels = { not_connected: 'not connected', uploading: 'uploading', done: 'done',
    winners: 'has winners' };

  function headers() {
    const token = sessionStorage.getItem(tokenKey);
    return token ? { Authorization: 'Bearer ' + token } : {};
  }

  function setHealth(text, kind) {
    const pill = $('health');
    pill.textContent = text;
    pill.className = 'pill ' + (kind || '');
  }

  function drawChart(history) {
    const svg = $('chart');
    const max = Math.max(1, ...history);
    const width = 300, height = 80, n = Math.max(1, history.length - 1);
    const points = history.map((v, i) =>
      (i * width / n).toFixed(1) + ',' + (height - v / max * (height - 4)).toFixed(1)).join(' ');
    svg.innerHTML = '<polygon points="0,' + height + ' ' + points + ' ' + width + ',' + height +
      '"></polygon><polyline points="' + points + '"></polyline>';
    svg.setAttribute('data-max', String(max));
    $('chart-peak').textContent = 'peak ' + number(Math.max(0, ...history)) + '/s';
  }

  function cell(text, className) {
    const td = document.createElement('td');
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }

  function render(status) {
    const draw = status.draw;
    const drawState = $('draw-state');
    drawState.textContent = draw.state;
    drawState.className = 'big draw-' + draw.state;
    $('draw-detail').textContent = draw.state === 'completed'
      ? number(draw.winners) + ' winners among ' + number(draw.bets) + ' bets'
      : draw.agencies_done + ' of ' + draw.agencies_expected + ' agencies done';
    $('agencies-done').textContent = status.totals.agencies_done + ' / ' + status.totals.agencies_expected;
    $('agencies-connected').textContent = status.totals.agencies_connected + ' connected';
    $('bets-stored').textContent = number(status.totals.bets_stored);
    $('storage').textContent = number(status.totals.batches_stored) + ' batches, ' +
      (status.totals.storage_bytes / 1048576).toFixed(1) + ' MiB on disk';
    $('rate').textContent = number(Math.round(status.ingest.bets_per_second)) + ' bets/s';
    $('sessions').textContent = status.sessions.total + ' connections (' +
      status.sessions.waiting_for_draw + ' waiting for the draw)';
    drawChart(status.ingest.history);

    const body = $('agencies').tBodies[0];
    const rows = document.createDocumentFragment();
    for (const agency of status.agencies) {
      const tr = document.createElement('tr');
      tr.dataset.agency = agency.agency;
      tr.dataset.state = agency.state;
      tr.appendChild(cell(String(agency.agency)));
      const state = cell('');
      const badge = document.createElement('span');
      badge.className = 'state state-' + agency.state;
      badge.textContent = stateLabels[agency.state] || agency.state;
      state.appendChild(badge);
      tr.appendChild(state);
      tr.appendChild(cell(number(agency.bets_stored), 'num'));
      tr.appendChild(cell(number(agency.batches), 'num'));
      tr.appendChild(cell(agency.last_batch_time
        ? new Date(agency.last_batch_time).toLocaleTimeString() : '–'));
      tr.appendChild(cell(agency.winners === null ? '–' : number(agency.winners), 'num'));
      rows.appendChild(tr);
    }
    body.replaceChildren(rows);
    $('truncated').hidden = !status.agencies_truncated;

    const list = $('errors');
    list.replaceChildren();
    for (const error of status.errors.recent) {
      const li = document.createElement('li');
      const code = document.createElement('code');
      code.textContent = error.code;
      li.append(new Date(error.time).toLocaleTimeString() + ' · ' +
        (error.agency ? 'agency ' + error.agency : 'before HELLO') + ' · ' + error.source + ' ', code);
      list.appendChild(li);
    }
    if (!status.errors.recent.length) {
      const li = document.createElement('li');
      li.className = 'small';
      li.textContent = 'none';
      list.appendChild(li);
    }
    if (status.server.ready) setHealth('ready', 'ok');
    else setHealth('not ready: ' + status.server.not_ready_reason, 'bad');
    document.body.dataset.updated = status.time;
  }

  async function poll() {
    try {
      const response = await fetch('/api/status', { headers: headers(), cache: 'no-store' });
      if (response.status === 401) {
        $('token-box').hidden = false;
        setHealth('token needed', 'bad');
        return;
      }
      if (!response.ok) throw new Error('HTTP ' + response.status);
      $('token-box').hidden = true;
      render(await response.json());
    } catch (error) {
      setHealth('unreachable: ' + error.message, 'bad');
    }
  }

  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(tokenKey, $('token').value.trim());
    $('token').value = '';
    poll();
  });
  poll();
  setInterval(poll, 1000);
})();
