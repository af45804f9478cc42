/* The diagram on an application's page: the bpmn-js viewer with the steps done, the step open
   and its deadline, read from the application's diagram.json. */
(function () {
  'use strict';

  function deadlineText(step, labels) {
    var d = step.deadline;
    if (!d || !d.due_date) { return null; }
    var left = d.overdue_working_days ? labels.overdue.replace('{n}', d.overdue_working_days)
      : d.working_days_left === 0 ? labels.today : labels.left.replace('{n}', d.working_days_left);
    return labels.due + ' ' + d.due_date + ' · ' + left + (d.article ? ' · ' + d.article : '');
  }

  function show(card) {
    var labels = JSON.parse(card.querySelector('.diagram-labels').textContent);
    var summary = card.querySelector('.diagram-summary');
    var viewer = new window.BpmnJS({ container: card.querySelector('.diagram-canvas') });
    fetch(card.dataset.diagramUrl, { credentials: 'same-origin' }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (progress) {
      return viewer.importXML(progress.xml).then(function () { return progress; });
    }).then(function (progress) {
      var canvas = viewer.get('canvas');
      var registry = viewer.get('elementRegistry');
      var overlays = viewer.get('overlays');
      canvas.zoom('fit-viewport');
      progress.done.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, 'pdw-done'); } });
      progress.active.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, 'pdw-active'); } });
      var lines = [];
      progress.open.forEach(function (step) {
        var text = deadlineText(step, labels);
        if (text && registry.get(step.element)) {
          var note = document.createElement('div');
          note.className = 'diagram-deadline';
          note.textContent = text;
          overlays.add(step.element, { position: { bottom: -4, left: 0 }, html: note });
        }
        lines.push(step.title + (text ? '：' + text : ''));
      });
      progress.timers.forEach(function (timer) {
        lines.push(timer.element + ' · ' + labels.timer + ' ' + timer.due_at.slice(0, 10));
      });
      summary.textContent = labels.version + ' ' + progress.version + (lines.length ? ' · ' + lines.join('；') : '');
      card.dataset.ready = 'true';
    }).catch(function () { summary.textContent = labels.failed; card.dataset.ready = 'failed'; });
  }

  Array.prototype.forEach.call(document.querySelectorAll('.diagram-card'), show);
})();
