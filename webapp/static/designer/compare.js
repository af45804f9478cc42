/* Two versions side by side, each element added, removed or changed marked on its diagram. */
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('compare-data').textContent);

  function draw(container, xml, kinds) {
    var viewer = new window.BpmnJS({ container: container });
    return viewer.importXML(xml).then(function () {
      var canvas = viewer.get('canvas');
      var registry = viewer.get('elementRegistry');
      canvas.zoom('fit-viewport');
      kinds.forEach(function (kind) {
        data.marks[kind].forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, 'pdw-' + kind); } });
      });
      container.dataset.ready = 'true';
    });
  }

  draw(document.getElementById('diagram-old'), data.old, ['removed', 'changed']);
  draw(document.getElementById('diagram-new'), data.new, ['added', 'changed']);
})();
