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

  document.getElementById('btn-deploy').addEventListener('click', function () {
    say(labels.deploying);
    current().then(function (body) { return post(setup.urls.deploy, body); }).then(function (response) {
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
