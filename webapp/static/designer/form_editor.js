/* The form editor: the JSON Schema checked as one types, and the form rendered by the server
   exactly as reviewers will see it. */
(function () {
  'use strict';

  var setup = JSON.parse(document.getElementById('form-setup').textContent);
  var labels = JSON.parse(document.getElementById('form-labels').textContent);
  var text = document.getElementById('schema-text');
  var problems = document.getElementById('schema-problems');
  var preview = document.getElementById('form-preview');
  var status = document.getElementById('form-status');
  var timer = null;

  function post(url) {
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': setup.csrf },
      body: JSON.stringify({ name: setup.name, text: text.value })
    }).then(function (response) { return response.json(); });
  }

  function listProblems(list) {
    problems.replaceChildren.apply(problems, list.map(function (message) {
      var li = document.createElement('li');
      li.className = 'problem-problem';
      li.textContent = message;
      return li;
    }));
  }

  function refresh() {
    post(setup.urls.preview).then(function (answer) {
      listProblems(answer.problems || []);
      if (answer.html !== undefined) {
        // Rendered by the server from the same template reviewers' task pages use, values escaped there.
        var parsed = new DOMParser().parseFromString(answer.html, 'text/html');
        preview.replaceChildren.apply(preview, Array.prototype.slice.call(parsed.body.childNodes));
      }
      preview.dataset.ready = 'true';
    });
  }

  text.addEventListener('input', function () {
    preview.dataset.ready = 'false';
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });

  document.getElementById('btn-form-save').addEventListener('click', function () {
    post(setup.urls.save).then(function (answer) {
      listProblems(answer.problems || []);
      status.textContent = answer.saved ? labels.saved : labels.failed + (answer.problems || []).join('；');
    });
  });
})();
