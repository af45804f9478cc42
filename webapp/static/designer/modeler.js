/* The designer's modeler page: bpmn-js with PDW's properties panel; validate (problems select
   their element), save the draft, download, deploy. Data comes from <script type="application/json">. */
(function () {
  'use strict';

  function data(id) { return JSON.parse(document.getElementById(id).textContent); }

  var setup = data('designer-setup');
  var labels = data('designer-labels');
  var status = document.getElementById('designer-status');
  var list = document.getElementById('problems');
  var summary = document.getElementById('problems-summary');
  var modeler = new window.BpmnJS({
    container: '#canvas',
    // The modeler's own menus and tooltips follow the page's language (designer/translate.js).
    additionalModules: window.PdwTranslate.modulesFor(document.documentElement.lang),
    moddleExtensions: { spiffworkflow: window.PdwProperties.descriptor }
  });
  var panel = new window.PdwProperties(modeler, document.getElementById('properties'), setup, labels);
  var marked = [];
  // Edits not yet saved as a draft or deployed: leaving the page asks first.
  var unsaved = false;
  modeler.get('eventBus').on('commandStack.changed', function (event) {
    if (event.trigger !== 'clear') { unsaved = true; }
  });
  window.addEventListener('beforeunload', function (event) {
    if (unsaved) { event.preventDefault(); event.returnValue = ''; }
  });

  function say(text) { status.textContent = text; }

  function post(url, body) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': setup.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (json) { return { ok: response.ok, status: response.status, json: json }; });
    });
  }

  function current() {
    return modeler.saveXML({ format: true }).then(function (result) {
      return { file_name: setup.fileName, xml: result.xml, forms: setup.forms, base_version: setup.baseVersion };
    });
  }

  function select(id) {
    var element = modeler.get('elementRegistry').get(id);
    if (!element) { return; }
    modeler.get('selection').select(element);
    modeler.get('canvas').scrollToElement(element);
  }

  function showProblems(problems, warnings) {
    var canvas = modeler.get('canvas');
    marked.forEach(function (id) { if (modeler.get('elementRegistry').get(id)) { canvas.removeMarker(id, 'pdw-problem'); } });
    marked = [];
    var items = problems.map(function (p) { return [p, 'problem']; }).concat(warnings.map(function (w) { return [w, 'warning']; }));
    list.replaceChildren.apply(list, items.map(function (item) {
      var p = item[0];
      var text = (item[1] === 'warning' ? labels.warning + '：' : '') + p.message + (p.line ? ' (' + p.line + ')' : '');
      var li = document.createElement('li');
      li.className = 'problem-' + item[1];
      if (p.element && modeler.get('elementRegistry').get(p.element)) {
        if (item[1] === 'problem') { canvas.addMarker(p.element, 'pdw-problem'); marked.push(p.element); }
        var button = document.createElement('button');
        button.type = 'button';
        button.className = 'link';
        button.dataset.element = p.element;
        button.textContent = p.element_name ? p.element_name + ' (' + p.element + ')' : p.element;
        button.addEventListener('click', function () { select(p.element); });
        li.appendChild(button);
        li.appendChild(document.createTextNode(' ' + text));
      } else {
        li.textContent = (p.element_name ? p.element_name + ' ' : '') + (p.element ? p.element + ' ' : '') + text;
      }
      return li;
    }));
    summary.textContent = problems.length ? problems.length + ' ' + labels.problems : labels.valid;
    if (warnings.length) { summary.textContent += ' · ' + warnings.length + ' ' + labels.warnings; }
  }

  function failed(response) {
    var json = response.json || {};
    if (json.problems) { showProblems(json.problems, []); }
    say(labels.failed + (json.error ? json.error.message : response.status));
  }

  document.getElementById('btn-validate').addEventListener('click', function () {
    say(labels.validating);
    current().then(function (body) { return post(setup.urls.validate, body); }).then(function (response) {
      if (!response.ok) { failed(response); return; }
      showProblems(response.json.problems, response.json.warnings);
      say('');
    });
  });

  document.getElementById('btn-draft').addEventListener('click', function () {
    current().then(function (body) { return post(setup.urls.draft, body); }).then(function (response) {
      if (!response.ok) { failed(response); return; }
      unsaved = false;
      say(labels.saved);
    });
  });

  // Proposing asks first: what changes against the live version, with old and new values, and
  // which running applications stay on it.
  var dialog = document.getElementById('confirm-deploy');
  var pending = null;

  function item(text, className) {
    var li = document.createElement('li');
    li.textContent = text;
    if (className) { li.className = className; }
    return li;
  }

  function describeChange(shown) {
    var section = document.createElement('section');
    section.dataset.process = shown.process_id;
    var title = document.createElement('h3');
    title.textContent = shown.name + ' · ' + (shown.live_version ? labels.comparedWith + ' v' + shown.live_version : labels.newProcess);
    section.appendChild(title);
    var list = document.createElement('ul');
    var d = shown.difference;
    if (shown.unchanged) { list.appendChild(item(labels.unchanged)); }
    d.properties.forEach(function (p) {
      list.appendChild(item(labels.property + ' ' + p.name + '：' + (p.old === null ? '—' : p.old) + ' → ' + (p.new === null ? '—' : p.new), 'confirm-property'));
    });
    d.added.forEach(function (e) { list.appendChild(item(labels.added + '：' + (e.name || e.id), 'confirm-added')); });
    d.removed.forEach(function (e) { list.appendChild(item(labels.removed + '：' + (e.name || e.id), 'confirm-removed')); });
    d.changed.forEach(function (e) {
      var li = item(labels.changed + '：' + (e.name || e.id), 'confirm-changed');
      li.dataset.element = e.id;
      var values = document.createElement('ul');
      e.values.forEach(function (v) {
        values.appendChild(item(v.field + '：' + (v.old === null ? '—' : v.old) + ' → ' + (v.new === null ? '—' : v.new)));
      });
      li.appendChild(values);
      list.appendChild(li);
    });
    list.appendChild(item(labels.capabilities + '：' + (shown.capabilities.join(', ') || labels.none)));
    var running = item(labels.running + '：' + (shown.running.length ? shown.running.join(', ') : labels.none), 'confirm-running');
    running.dataset.count = String(shown.running.length);
    list.appendChild(running);
    section.appendChild(list);
    return section;
  }

  document.getElementById('btn-deploy').addEventListener('click', function () {
    current().then(function (body) {
      pending = body;
      return post(setup.urls.preview, body);
    }).then(function (response) {
      if (!response.ok) { failed(response); return; }
      var target = document.getElementById('confirm-body');
      target.replaceChildren.apply(target, response.json.processes.map(describeChange));
      dialog.showModal();
    });
  });

  document.getElementById('btn-cancel-deploy').addEventListener('click', function () { dialog.close(); });

  document.getElementById('btn-confirm-deploy').addEventListener('click', function () {
    dialog.close();
    say(labels.deploying);
    post(setup.urls.deploy, pending).then(function (response) {
      if (!response.ok) { failed(response); return; }
      unsaved = false;
      window.location.assign(response.json.next);
    });
  });

  document.getElementById('btn-download').addEventListener('click', function () {
    current().then(function (body) {
      var link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([body.xml], { type: 'application/xml' }));
      link.download = setup.fileName.endsWith('.bpmn') ? setup.fileName : setup.processId + '.bpmn';
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  });

  modeler.importXML(data('designer-xml')).then(function (result) {
    modeler.get('canvas').zoom('fit-viewport');
    document.getElementById('canvas').dataset.importWarnings = String(result.warnings.length);
    document.getElementById('canvas').dataset.ready = 'true';
    if (result.warnings.length) { say(result.warnings.length + ' import warning(s)'); }
  }).catch(function (err) { say(labels.failed + err.message); });
  window.pdwModeler = modeler;
  window.pdwPanel = panel;
})();
