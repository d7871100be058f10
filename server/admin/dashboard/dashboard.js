// The operator console: polls /api/status once a second and redraws; closes the sales on the
// operator's word (POST /api/sales/close) and disables or enables an agency before the close
// (POST /api/agencies/<n>/disable|enable). Spanish (es-AR) for a browser that asks for Spanish,
// English otherwise, with a switch; numbers and times through Intl. No framework, no build.
'use strict';
(function () {
  const tokenKey = 'lottery-admin-token';
  const languageKey = 'lottery-admin-language';
  // A token may come in the URL fragment (#token=...), which is never sent to the server.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get('token')) {
    sessionStorage.setItem(tokenKey, fragment.get('token'));
    history.replaceState(null, '', location.pathname);
  }
  const $ = (id) => document.getElementById(id);

  const texts = {
    es: {
      title: 'Lotería · consola del operador', subtitle: 'consola del operador',
      switch_to: 'English', connecting: 'conectando…', ready: 'lista',
      not_ready: 'no lista: {0}', token_needed: 'falta el token', unreachable: 'sin conexión: {0}',
      token_needed_label: 'Esta consola necesita el token de administración', open: 'Abrir',
      sales: 'Venta', sales_open: 'Venta abierta', sales_closed: 'Venta cerrada',
      scheduled: 'Cierre programado: {0}', not_scheduled: 'Sin cierre programado',
      close_unsupported: 'Este servidor no puede cerrar la venta desde la consola.',
      close_sales: 'Cerrar la venta', reason: 'Motivo', closed_at: 'Hora del cierre',
      bets_in_draw: 'Apuestas en el sorteo', seal: 'Sello (SHA-256)', copy: 'Copiar',
      copied: 'copiado', selected: 'seleccionado: Ctrl+C para copiar',
      reason_operador: 'la cerró el operador', reason_horario: 'cierre programado',
      reason_todas_las_agencias: 'todas las agencias terminaron',
      draw: 'Sorteo', agencies_done: 'Agencias completas', bets_stored: 'Apuestas guardadas',
      ingest: 'Ingreso', chart_title: 'Apuestas por segundo, últimos 5 minutos',
      peak: '(máximo {0}/s)', agencies: 'Agencias', col_agency: 'Agencia', col_state: 'Estado',
      col_bets: 'Apuestas', col_batches: 'Lotes', col_last_batch: 'Último lote',
      col_winners: 'Ganadores', truncated: 'Solo se listan las primeras agencias.',
      recent_errors: 'Errores recientes', none: 'ninguno',
      draw_waiting: 'en espera', draw_running: 'en curso', draw_completed: 'realizado',
      draw_failed: 'falló',
      state_not_connected: 'sin conectar', state_uploading: 'subiendo', state_done: 'completa',
      state_winners: 'con ganadores', state_disabled: 'deshabilitada', col_action: 'Acción',
      disable: 'Deshabilitar', enable: 'Habilitar',
      disable_title: '¿Deshabilitar la agencia {0}?', enable_title: '¿Habilitar la agencia {0}?',
      disable_effect: 'Sus conexiones nuevas se rechazan, y la que tenga abierta se cierra en ' +
        'cuanto se responda el lote que está enviando (lo confirmado queda confirmado).',
      disable_bets: ['La apuesta que ya guardó se conserva y entra en el sorteo si se cierra ' +
        'la venta ({0} apuesta).', 'Las apuestas que ya guardó se conservan y entran en el ' +
        'sorteo si se cierra la venta ({0} apuestas).'],
      disable_undo: 'Se puede volver a habilitar hasta el cierre de la venta, no después.',
      enable_effect: 'La agencia vuelve a poder conectarse y sigue subiendo desde donde quedó.',
      enable_bets: ['Tiene {0} apuesta guardada.', 'Tiene {0} apuestas guardadas.'],
      enable_undo: 'Se puede volver a deshabilitar hasta el cierre de la venta.',
      switching: 'Enviando…',
      error_404_agency: 'El servidor no conoce esa agencia (404): {0}',
      error_409_switch: 'El servidor no cambió la agencia (409): {0}',
      winners_among: ['{0} ganador entre {1} apuestas', '{0} ganadores entre {1} apuestas'],
      agencies_of: '{0} de {1} agencias completas', connected: '{0} conectadas',
      storage: '{0} lotes, {1} MiB en disco', rate: '{0} apuestas/s',
      sessions: '{0} conexiones ({1} esperando el sorteo)',
      error_agency: 'agencia {0}', error_no_agency: 'agencia desconocida (antes del HELLO)',
      error_claimed_agency: 'agencia {0} según su HELLO (rechazado)',
      error_no_peer: 'dirección desconocida', source_reject: 'lote rechazado',
      source_error: 'conexión cerrada',
      close_title: '¿Cerrar la venta ahora?',
      close_not_done: ['No terminó {0} de {1} agencias: la {2}.',
        'No terminaron {0} de {1} agencias: {2}.'],
      close_not_done_count: ['No terminó {0} de {1} agencias.',
        'No terminaron {0} de {1} agencias.'],
      close_all_done: 'Las {0} agencias terminaron.',
      close_bets: ['Hay {0} apuesta guardada hasta ahora: es la que entra en el sorteo.',
        'Hay {0} apuestas guardadas hasta ahora: son las que entran en el sorteo.'],
      close_effect: 'Después del cierre no se acepta ninguna apuesta más y el sorteo se hace ' +
        'enseguida, sobre exactamente las apuestas guardadas hasta ese momento. No se puede ' +
        'deshacer.',
      admin_token: 'Token de administración', cancel: 'Cancelar', closing: 'Cerrando…',
      error_401: 'El token no es correcto (401): revíselo y vuelva a intentar.',
      error_403: 'El servidor no tiene token de administración (403): las acciones lo ' +
        'necesitan; arránquelo con SERVER_ADMIN_TOKEN_FILE.',
      error_409: 'El servidor no cerró la venta (409): {0}',
      error_other: 'El servidor respondió {0}: {1}', error_network: 'Sin conexión: {0}',
      footer: 'Solo cantidades: aquí no se muestra ningún nombre ni número de documento. ' +
        'Se actualiza cada segundo desde <code>/api/status</code>; métricas en ' +
        '<code>/metrics</code>.',
    },
    en: {
      title: 'Lotería · operator console', subtitle: 'operator console',
      switch_to: 'Español', connecting: 'connecting…', ready: 'ready',
      not_ready: 'not ready: {0}', token_needed: 'token needed', unreachable: 'unreachable: {0}',
      token_needed_label: 'This console needs the admin token', open: 'Open',
      sales: 'Sales', sales_open: 'Sales open', sales_closed: 'Sales closed',
      scheduled: 'Scheduled close: {0}', not_scheduled: 'No close scheduled',
      close_unsupported: 'This server cannot close the sales from the console.',
      close_sales: 'Close the sales', reason: 'Reason', closed_at: 'Closed at',
      bets_in_draw: 'Bets in the draw', seal: 'Seal (SHA-256)', copy: 'Copy',
      copied: 'copied', selected: 'selected: Ctrl+C to copy',
      reason_operador: 'closed by the operator', reason_horario: 'scheduled close',
      reason_todas_las_agencias: 'every agency finished',
      draw: 'Draw', agencies_done: 'Agencies done', bets_stored: 'Bets stored',
      ingest: 'Ingest', chart_title: 'Bets per second, last 5 minutes', peak: '(peak {0}/s)',
      agencies: 'Agencies', col_agency: 'Agency', col_state: 'State', col_bets: 'Bets',
      col_batches: 'Batches', col_last_batch: 'Last batch', col_winners: 'Winners',
      truncated: 'Only the first agencies are listed.', recent_errors: 'Recent errors',
      none: 'none',
      draw_waiting: 'waiting', draw_running: 'running', draw_completed: 'completed',
      draw_failed: 'failed',
      state_not_connected: 'not connected', state_uploading: 'uploading', state_done: 'done',
      state_winners: 'has winners', state_disabled: 'disabled', col_action: 'Action',
      disable: 'Disable', enable: 'Enable',
      disable_title: 'Disable agency {0}?', enable_title: 'Enable agency {0}?',
      disable_effect: 'Its new connections are refused, and a connection it has now is closed ' +
        'as soon as the batch it is sending is answered (what was acknowledged stays ' +
        'acknowledged).',
      disable_bets: ['The bet it already stored stays and goes into the draw if the sales ' +
        'close ({0} bet).', 'The bets it already stored stay and go into the draw if the ' +
        'sales close ({0} bets).'],
      disable_undo: 'It can be enabled again until the sales close, not after.',
      enable_effect: 'The agency may connect again and goes on uploading where it stopped.',
      enable_bets: ['It has {0} bet stored.', 'It has {0} bets stored.'],
      enable_undo: 'It can be disabled again until the sales close.',
      switching: 'Sending…',
      error_404_agency: 'The server does not know that agency (404): {0}',
      error_409_switch: 'The server did not change the agency (409): {0}',
      winners_among: ['{0} winner among {1} bets', '{0} winners among {1} bets'],
      agencies_of: '{0} of {1} agencies done', connected: '{0} connected',
      storage: '{0} batches, {1} MiB on disk', rate: '{0} bets/s',
      sessions: '{0} connections ({1} waiting for the draw)',
      error_agency: 'agency {0}', error_no_agency: 'unknown agency (before HELLO)',
      error_claimed_agency: 'agency {0} as its HELLO claimed (refused)',
      error_no_peer: 'unknown address', source_reject: 'batch rejected',
      source_error: 'connection closed',
      close_title: 'Close the sales now?',
      close_not_done: ['{0} of {1} agencies not done: number {2}.',
        '{0} of {1} agencies not done: {2}.'],
      close_not_done_count: ['{0} of {1} agencies not done.', '{0} of {1} agencies not done.'],
      close_all_done: 'All {0} agencies are done.',
      close_bets: ['{0} bet is stored so far: it is what goes into the draw.',
        '{0} bets are stored so far: they are what goes into the draw.'],
      close_effect: 'After the close no more bets are accepted and the draw runs at once, over ' +
        'exactly the bets stored by then. It cannot be undone.',
      admin_token: 'Admin token', cancel: 'Cancel', closing: 'Closing…',
      error_401: 'Wrong token (401): check it and try again.',
      error_403: 'The server has no admin token (403): actions need one; start it with ' +
        'SERVER_ADMIN_TOKEN_FILE.',
      error_409: 'The server did not close the sales (409): {0}',
      error_other: 'The server answered {0}: {1}', error_network: 'Unreachable: {0}',
      footer: 'Counts only: no names or document numbers are shown here. Updated every second ' +
        'from <code>/api/status</code>; metrics at <code>/metrics</code>.',
    },
  };

  // Spanish when the browser's first Spanish-or-English preference is Spanish (or the operator
  // chose it with the switch), English otherwise.
  function preferredLanguage() {
    const chosen = localStorage.getItem(languageKey);
    if (chosen === 'es' || chosen === 'en') return chosen;
    for (const tag of navigator.languages || [navigator.language || '']) {
      const primary = String(tag).toLowerCase().split('-')[0];
      if (primary === 'es' || primary === 'en') return primary;
    }
    return 'en';
  }
  let language = preferredLanguage();
  let locale = 'es-AR';
  let numberFormat, mibFormat, timeFormat, dateTimeFormat, plural;
  let lastStatus = null;

  function setLanguage(next) {
    language = next;
    const english = (navigator.languages || []).find((tag) => /^en\b/i.test(tag));
    locale = language === 'es' ? 'es-AR' : (english || 'en');
    numberFormat = new Intl.NumberFormat(locale);
    mibFormat = new Intl.NumberFormat(locale, { minimumFractionDigits: 1,
      maximumFractionDigits: 1 });
    // Argentina reads a 24-hour clock ("14:03:11"), whatever some CLDR versions say for es-AR.
    const clock = language === 'es' ? { hourCycle: 'h23' } : {};
    timeFormat = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit',
      second: '2-digit', ...clock });
    dateTimeFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium',
      timeStyle: 'medium', ...clock });
    plural = new Intl.PluralRules(locale);
    document.documentElement.lang = locale;
    document.body.dataset.locale = locale;
    for (const element of document.querySelectorAll('[data-i18n]'))
      element.textContent = t(element.dataset.i18n);
    for (const element of document.querySelectorAll('[data-i18n-html]'))
      element.innerHTML = t(element.dataset.i18nHtml); // only this file's own texts
    const other = language === 'es' ? 'en' : 'es';
    $('language').textContent = t('switch_to');
    $('language').lang = other;
    if (lastStatus) render(lastStatus);
  }

  // t('key', a, b): the text in the current language with {0}, {1} replaced; a pair of texts
  // (one, other) is chosen by the plural category of the first value, a count.
  function t(key, ...values) {
    let text = texts[language][key];
    if (text === undefined) return key;
    if (Array.isArray(text)) {
      // The count comes raw, for the plural rule, and is shown formatted.
      text = plural.select(Number(values[0])) === 'one' ? text[0] : text[1];
      values[0] = number(values[0]);
    }
    return text.replace(/\{(\d)\}/g, (_, index) => String(values[Number(index)]));
  }
  const number = (n) => (n === null || n === undefined) ? '–' : numberFormat.format(Number(n));
  const time = (iso) => iso ? timeFormat.format(new Date(iso)) : '–';
  const dateTime = (iso) => iso ? dateTimeFormat.format(new Date(iso)) : '–';

  function storedToken() {
    return sessionStorage.getItem(tokenKey) || '';
  }

  function headers() {
    const token = storedToken();
    return token ? { Authorization: 'Bearer ' + token } : {};
  }

  let health = { key: 'connecting', detail: '', kind: '' };
  function setHealth(key, kind, detail) {
    health = { key, kind: kind || '', detail: detail || '' };
    const pill = $('health');
    pill.textContent = t(key, health.detail);
    pill.className = 'pill ' + health.kind;
    pill.dataset.state = key;
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
    svg.setAttribute('aria-label', t('chart_title'));
    $('chart-peak').textContent = t('peak', number(Math.max(0, ...history)));
  }

  function cell(text, className) {
    const td = document.createElement('td');
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }

  // The agencies not done yet, by number, when the status lists every expected agency.
  function agenciesNotDone(status) {
    const expected = status.totals.agencies_expected;
    const missing = expected - status.totals.agencies_done;
    if (status.agencies_truncated || status.agencies.length < expected)
      return { missing, ids: null };
    return { missing, ids: status.agencies.filter((a) => !a.done).map((a) => a.agency) };
  }

  function listOf(ids) {
    const shown = ids.slice(0, 30).map((id) => number(id));
    const list = new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' })
      .format(shown);
    return ids.length > shown.length ? list + ' …' : list;
  }

  function renderCloseDialog(status) {
    const expected = status.totals.agencies_expected;
    const { missing, ids } = agenciesNotDone(status);
    const agencies = $('close-agencies');
    if (missing <= 0) agencies.textContent = t('close_all_done', number(expected));
    else if (ids && ids.length) {
      agencies.textContent = t('close_not_done', missing, number(expected), listOf(ids));
    } else {
      agencies.textContent = t('close_not_done_count', missing, number(expected));
    }
    agencies.dataset.notDone = ids ? ids.join(',') : '';
    $('close-bets').textContent = t('close_bets', status.totals.bets_stored);
    $('close-bets').dataset.bets = String(status.totals.bets_stored);
  }

  // The close as this page last knew it (made here, or reported by /api/status): sales never
  // reopen, so an older "open" (a snapshot a moment old, or polls answered out of order) must
  // not bring the buttons back.
  let closedHere = null;

  function renderSales(sales) {
    if (sales && sales.state === 'closed') closedHere = sales;
    else if (closedHere) sales = closedHere;
    const section = $('sales');
    section.hidden = !sales;
    if (!sales) return;
    section.dataset.state = sales.state;
    const closed = sales.state === 'closed';
    $('sales-open').hidden = closed;
    $('sales-closed').hidden = !closed;
    if (!closed) {
      $('sales-scheduled').textContent = sales.scheduled_close
        ? t('scheduled', dateTime(sales.scheduled_close)) : t('not_scheduled');
      $('close-sales').hidden = !sales.close_supported;
      $('sales-unsupported').hidden = !!sales.close_supported;
      return;
    }
    $('closed-reason').textContent = t('reason_' + sales.reason);
    $('closed-reason').dataset.reason = sales.reason;
    $('closed-at').textContent = dateTime(sales.closed_at);
    $('closed-agencies').textContent = number(sales.agencies_done);
    $('closed-bets').textContent = number(sales.bets);
    $('seal').textContent = sales.seal;
    if ($('close-dialog').open) $('close-dialog').close();
  }

  function render(status) {
    lastStatus = status;
    renderSales(status.sales);
    const draw = status.draw;
    const drawState = $('draw-state');
    drawState.textContent = t('draw_' + draw.state);
    drawState.dataset.state = draw.state;
    drawState.className = 'big draw-' + draw.state;
    $('draw-detail').textContent = draw.state === 'completed'
      ? t('winners_among', draw.winners, number(draw.bets))
      : t('agencies_of', number(draw.agencies_done), number(draw.agencies_expected));
    $('agencies-done').textContent = number(status.totals.agencies_done) + ' / ' +
      number(status.totals.agencies_expected);
    $('agencies-connected').textContent = t('connected', number(status.totals.agencies_connected));
    $('agencies-connected').dataset.count = String(status.totals.agencies_connected);
    $('bets-stored').textContent = number(status.totals.bets_stored);
    $('storage').textContent = t('storage', number(status.totals.batches_stored),
      mibFormat.format(status.totals.storage_bytes / 1048576));
    $('rate').textContent = t('rate', number(Math.round(status.ingest.bets_per_second)));
    $('sessions').textContent = t('sessions', number(status.sessions.total),
      number(status.sessions.waiting_for_draw));
    drawChart(status.ingest.history);

    const salesOpen = !!status.sales && status.sales.state === 'open' && !closedHere;
    for (const agency of status.agencies) {
      // A switch made here holds until /api/status (a snapshot up to 250 ms old) reports it.
      if (agency.agency in switchedHere && switchedHere[agency.agency] === !!agency.disabled)
        delete switchedHere[agency.agency];
    }
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
      badge.textContent = t('state_' + agency.state);
      state.appendChild(badge);
      tr.appendChild(state);
      tr.appendChild(cell(number(agency.bets_stored), 'num'));
      tr.appendChild(cell(number(agency.batches), 'num'));
      tr.appendChild(cell(time(agency.last_batch_time)));
      tr.appendChild(cell(agency.winners === null ? '–' : number(agency.winners), 'num'));
      // The switch: while the sales are open (after the close it could not change the draw).
      const disabled = agency.agency in switchedHere ? switchedHere[agency.agency]
        : !!agency.disabled;
      tr.dataset.disabled = String(disabled);
      const action = cell('');
      if (salesOpen) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'link switch';
        button.dataset.agency = agency.agency;
        button.dataset.enable = String(disabled);
        button.textContent = t(disabled ? 'enable' : 'disable');
        action.appendChild(button);
      }
      tr.appendChild(action);
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
      const source = texts[language]['source_' + error.source] ? t('source_' + error.source)
        : error.source;
      li.append([time(error.time),
        error.agency ? t('error_agency', error.agency)
          : error.claimed_agency ? t('error_claimed_agency', error.claimed_agency)
          : t('error_no_agency'),
        error.peer || t('error_no_peer'), source].join(' · ') + ' ', code);
      list.appendChild(li);
    }
    if (!status.errors.recent.length) {
      const li = document.createElement('li');
      li.className = 'small';
      li.textContent = t('none');
      list.appendChild(li);
    }
    if (status.server.ready) setHealth('ready', 'ok');
    else setHealth('not_ready', 'bad', status.server.not_ready_reason);
    if ($('close-dialog').open) renderCloseDialog(status);
    document.body.dataset.updated = status.time;
    delete document.body.dataset.stale;
  }

  // The agencies this page switched (number -> disabled), until /api/status says the same.
  const switchedHere = {};
  let switching = null; // { agency, enable, bets } while the switch dialog is open

  function showSwitchError(text) {
    const line = $('switch-error');
    line.textContent = text;
    line.hidden = !text;
  }

  function openSwitchDialog(agency, enable) {
    const row = (lastStatus ? lastStatus.agencies : []).find((a) => a.agency === agency);
    const bets = row ? row.bets_stored : 0;
    switching = { agency, enable, bets };
    const verb = enable ? 'enable' : 'disable';
    $('switch-title').textContent = t(verb + '_title', number(agency));
    $('switch-effect').textContent = t(verb + '_effect');
    $('switch-bets').textContent = t(verb + '_bets', bets);
    $('switch-bets').dataset.bets = String(bets);
    $('switch-undo').textContent = t(verb + '_undo');
    $('switch-confirm').textContent = t(verb);
    $('switch-confirm').className = enable ? '' : 'danger';
    $('switch-dialog').dataset.agency = String(agency);
    $('switch-dialog').dataset.action = verb;
    showSwitchError('');
    $('switch-token').value = storedToken();
    $('switch-dialog').showModal();
    if (!$('switch-token').value) $('switch-token').focus();
    else $('switch-cancel').focus();
  }

  async function sendSwitch() {
    if (!switching) return;
    const { agency, enable } = switching;
    const verb = enable ? 'enable' : 'disable';
    const token = $('switch-token').value.trim();
    const button = $('switch-confirm');
    button.disabled = true;
    button.textContent = t('switching');
    showSwitchError('');
    try {
      const response = await fetch('/api/agencies/' + agency + '/' + verb, { method: 'POST',
        cache: 'no-store', headers: token ? { Authorization: 'Bearer ' + token } : {} });
      const body = await response.text();
      if (response.ok) {
        sessionStorage.setItem(tokenKey, token);
        switchedHere[agency] = JSON.parse(body).disabled;
        $('switch-dialog').close();
        if (lastStatus) render(lastStatus);
        poll();
        return;
      }
      const reason = body.replace(/^\d{3}\s*/, '').trim();
      if (response.status === 401) showSwitchError(t('error_401'));
      else if (response.status === 403) showSwitchError(t('error_403'));
      else if (response.status === 404) showSwitchError(t('error_404_agency', reason));
      else if (response.status === 409) showSwitchError(t('error_409_switch', reason));
      else showSwitchError(t('error_other', response.status, reason));
      $('switch-error').dataset.status = String(response.status);
    } catch (error) {
      showSwitchError(t('error_network', error.message));
      $('switch-error').dataset.status = 'network';
    } finally {
      button.disabled = false;
      button.textContent = t(verb);
    }
  }

  // Nothing fresh to show: the last figures stay, but the rate is not claimed any more.
  function stale() {
    document.body.dataset.stale = 'true';
    $('rate').textContent = '–';
  }

  async function poll() {
    try {
      const response = await fetch('/api/status', { headers: headers(), cache: 'no-store' });
      if (response.status === 401) {
        $('token-box').hidden = false;
        setHealth('token_needed', 'bad');
        stale();
        return;
      }
      if (!response.ok) throw new Error('HTTP ' + response.status);
      $('token-box').hidden = true;
      render(await response.json());
    } catch (error) {
      setHealth('unreachable', 'bad', error.message);
      stale();
    }
  }

  function showCloseError(text) {
    const line = $('close-error');
    line.textContent = text;
    line.hidden = !text;
  }

  async function closeSales() {
    const token = $('close-token').value.trim();
    const button = $('close-confirm');
    button.disabled = true;
    button.textContent = t('closing');
    showCloseError('');
    try {
      // Sent even without a token: the server then says why it refuses (401, or 403 when it
      // has no token at all).
      const response = await fetch('/api/sales/close', { method: 'POST', cache: 'no-store',
        headers: token ? { Authorization: 'Bearer ' + token } : {} });
      const body = await response.text();
      if (response.ok) {
        sessionStorage.setItem(tokenKey, token);
        const result = JSON.parse(body);
        closedHere = { state: 'closed', close_supported: true, reason: result.reason,
          closed_at: result.closed_at, agencies_done: result.agencies_done, bets: result.bets,
          seal: result.seal };
        renderSales(closedHere);
        $('close-dialog').close();
        poll();
        return;
      }
      const reason = body.replace(/^\d{3}\s*/, '').trim();
      if (response.status === 401) showCloseError(t('error_401'));
      else if (response.status === 403) showCloseError(t('error_403'));
      else if (response.status === 409) showCloseError(t('error_409', reason));
      else showCloseError(t('error_other', response.status, reason));
      $('close-error').dataset.status = String(response.status);
    } catch (error) {
      showCloseError(t('error_network', error.message));
      $('close-error').dataset.status = 'network';
    } finally {
      button.disabled = false;
      button.textContent = t('close_sales');
    }
  }

  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(tokenKey, $('token').value.trim());
    $('token').value = '';
    poll();
  });
  $('language').addEventListener('click', () => {
    const next = language === 'es' ? 'en' : 'es';
    localStorage.setItem(languageKey, next);
    setLanguage(next);
    setHealth(health.key, health.kind, health.detail);
  });
  $('close-sales').addEventListener('click', () => {
    if (!lastStatus) return;
    renderCloseDialog(lastStatus);
    showCloseError('');
    $('close-token').value = storedToken();
    $('close-dialog').showModal();
    if (!$('close-token').value) $('close-token').focus();
    else $('close-cancel').focus();
  });
  $('close-cancel').addEventListener('click', () => $('close-dialog').close());
  $('close-form').addEventListener('submit', (event) => {
    event.preventDefault();
    closeSales();
  });
  $('agencies').tBodies[0].addEventListener('click', (event) => {
    const button = event.target.closest('button.switch');
    if (button) openSwitchDialog(Number(button.dataset.agency), button.dataset.enable === 'true');
  });
  $('switch-cancel').addEventListener('click', () => $('switch-dialog').close());
  $('switch-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sendSwitch();
  });
  $('copy-seal').addEventListener('click', async () => {
    const seal = $('seal').textContent;
    try {
      await navigator.clipboard.writeText(seal);
      $('copy-result').textContent = t('copied');
    } catch {
      // Without the clipboard (plain http off loopback): select it for Ctrl+C.
      const range = document.createRange();
      range.selectNodeContents($('seal'));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      $('copy-result').textContent = t('selected');
    }
  });

  setLanguage(language);
  poll();
  setInterval(poll, 1000);
})();
