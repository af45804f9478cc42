/* PDW's properties panel for the bpmn-js modeler: the properties the engine reads, written in
   the spiffworkflow extension format (spiffworkflow:properties, preScript, postScript,
   serviceTaskOperator) that SpiffArena's modeler writes too. No inline script: loaded as a file. */
(function () {
  'use strict';

  // Extension elements SpiffArena's modeler writes whose content is text: PDW does not read them
  // all, but a file opened here and saved keeps them (moddle drops elements it has no type for).
  var TEXT_ELEMENTS = ['PreScript', 'PostScript', 'InstructionsForEndUser', 'MessagePayload', 'MessageVariable',
                       'CalledDecisionId', 'PayloadExpression', 'VariableName', 'SignalButtonLabel', 'InputJson',
                       'ExpectedOutputJson', 'GuestConfirmation', 'AllowGuest'];

  // The spiffworkflow extension elements, for bpmn-js's moddle (tags are the type names in lowerCamelCase).
  var DESCRIPTOR = {
    name: 'SpiffWorkflow', prefix: 'spiffworkflow', uri: 'http://spiffworkflow.org/bpmn/schema/1.0/core',
    xml: { tagAlias: 'lowerCase' }, associations: [],
    types: [
      { name: 'Properties', superClass: ['Element'],
        properties: [{ name: 'properties', type: 'Property', isMany: true }] },
      { name: 'Property', superClass: ['Element'],
        properties: [{ name: 'name', isAttr: true, type: 'String' }, { name: 'value', isAttr: true, type: 'String' }] },
      { name: 'ServiceTaskOperator', superClass: ['Element'],
        properties: [{ name: 'id', isAttr: true, type: 'String' }, { name: 'resultVariable', isAttr: true, type: 'String' },
                     { name: 'parameterList', type: 'Parameters' }] },
      { name: 'Parameters', superClass: ['Element'], properties: [{ name: 'parameters', type: 'Parameter', isMany: true }] },
      { name: 'Parameter', superClass: ['Element'],
        properties: [{ name: 'id', isAttr: true, type: 'String' }, { name: 'type', isAttr: true, type: 'String' },
                     { name: 'value', isAttr: true, type: 'String' }] },
      { name: 'UnitTests', superClass: ['Element'], properties: [{ name: 'unitTests', type: 'UnitTest', isMany: true }] },
      { name: 'UnitTest', superClass: ['Element'],
        properties: [{ name: 'id', isAttr: true, type: 'String' }, { name: 'inputJson', type: 'InputJson' },
                     { name: 'expectedOutputJson', type: 'ExpectedOutputJson' }] }
    ].concat(TEXT_ELEMENTS.map(function (name) {
      return { name: name, superClass: ['Element'], properties: [{ name: 'value', isBody: true, type: 'String' }] };
    }))
  };

  var USER_TASKS = ['bpmn:UserTask', 'bpmn:ManualTask'];
  var PRE_POST = ['bpmn:Task', 'bpmn:UserTask', 'bpmn:ManualTask', 'bpmn:ServiceTask', 'bpmn:SubProcess',
                  'bpmn:CallActivity', 'bpmn:SendTask', 'bpmn:ReceiveTask', 'bpmn:BusinessRuleTask'];
  var TIMER_KINDS = ['timeDate', 'timeDuration', 'timeCycle'];
  // Elements that may be the applicant's formal reply or extend the reply period when passed.
  var REPLIES = ['bpmn:UserTask', 'bpmn:ManualTask', 'bpmn:ServiceTask', 'bpmn:ScriptTask', 'bpmn:EndEvent',
                 'bpmn:IntermediateThrowEvent'];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === 'text') { node.textContent = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function Panel(modeler, container, setup, labels) {
    this.modeler = modeler;
    this.container = container;
    this.setup = setup;
    this.labels = labels;
    this.element = null;
    this.moddle = modeler.get('moddle');
    this.modeling = modeler.get('modeling');
    var self = this;
    var bus = modeler.get('eventBus');
    bus.on('selection.changed', function (event) {
      if (!self.ready) { return; }
      self.show(event.newSelection.length === 1 ? event.newSelection[0] : null);
    });
    bus.on('import.done', function () { self.ready = true; self.show(null); });
  }

  Panel.descriptor = DESCRIPTOR;

  Panel.prototype.target = function () {
    return this.element || this.modeler.get('canvas').getRootElement();
  };

  Panel.prototype.extension = function (bo, type) {
    var values = bo.extensionElements ? bo.extensionElements.values || [] : [];
    return values.filter(function (v) { return v.$type === type; })[0];
  };

  Panel.prototype.extensions = function (element, bo) {
    var ext = bo.extensionElements;
    if (!ext) {
      ext = this.moddle.create('bpmn:ExtensionElements', { values: [] });
      ext.$parent = bo;
      this.modeling.updateModdleProperties(element, bo, { extensionElements: ext });
    }
    return ext;
  };

  Panel.prototype.property = function (bo, name) {
    var props = this.extension(bo, 'spiffworkflow:Properties');
    var found = props ? (props.properties || []).filter(function (p) { return p.name === name; })[0] : null;
    return found ? found.value || '' : '';
  };

  Panel.prototype.setProperty = function (element, bo, name, value) {
    var props = this.extension(bo, 'spiffworkflow:Properties');
    var list = props ? props.properties || [] : [];
    var existing = list.filter(function (p) { return p.name === name; })[0];
    if (!value) {
      if (existing) {
        this.modeling.updateModdleProperties(element, props, { properties: list.filter(function (p) { return p !== existing; }) });
      }
      return;
    }
    if (existing) { this.modeling.updateModdleProperties(element, existing, { value: value }); return; }
    var ext = this.extensions(element, bo);
    if (!props) {
      props = this.moddle.create('spiffworkflow:Properties', { properties: [] });
      props.$parent = ext;
      this.modeling.updateModdleProperties(element, ext, { values: (ext.values || []).concat([props]) });
    }
    var created = this.moddle.create('spiffworkflow:Property', { name: name, value: value });
    created.$parent = props;
    this.modeling.updateModdleProperties(element, props, { properties: (props.properties || []).concat([created]) });
  };

  Panel.prototype.setBodyExtension = function (element, bo, type, value, attrs) {
    var existing = this.extension(bo, type);
    var ext = bo.extensionElements;
    if (!value) {
      if (existing) {
        this.modeling.updateModdleProperties(element, ext, { values: ext.values.filter(function (v) { return v !== existing; }) });
      }
      return;
    }
    if (existing) { this.modeling.updateModdleProperties(element, existing, attrs || { value: value }); return; }
    ext = this.extensions(element, bo);
    var created = this.moddle.create(type, attrs || { value: value });
    created.$parent = ext;
    this.modeling.updateModdleProperties(element, ext, { values: (ext.values || []).concat([created]) });
  };

  Panel.prototype.field = function (id, label, control, hint) {
    control.id = id;
    return el('div', { 'class': 'field' }, [el('label', { 'for': id, text: label }), control,
      hint ? el('p', { 'class': 'hint', text: hint }) : null]);
  };

  Panel.prototype.input = function (value, onChange) {
    var input = el('input', { type: 'text' });
    input.value = value || '';
    input.addEventListener('change', function () { onChange(input.value.trim()); });
    return input;
  };

  Panel.prototype.textarea = function (value, onChange) {
    var area = el('textarea', { rows: '4', spellcheck: 'false', 'class': 'code' });
    area.value = value || '';
    area.addEventListener('change', function () { onChange(area.value); });
    return area;
  };

  Panel.prototype.select = function (options, value, onChange) {
    var select = el('select');
    options.forEach(function (o) {
      var option = el('option', { value: o[0], text: o[1] });
      if (o[0] === value) { option.selected = true; }
      select.appendChild(option);
    });
    select.addEventListener('change', function () { onChange(select.value); });
    return select;
  };

  Panel.prototype.show = function (element) {
    this.element = element && element.type !== 'label' ? element : (element ? element.labelTarget : null);
    var target = this.target();
    var bo = target && target.businessObject;
    var L = this.labels;
    if (!bo) {
      this.container.replaceChildren(el('p', { 'class': 'hint', text: L.noSelection }));
      return;
    }
    var self = this;
    var rows = [];
    var type = bo.$type;
    rows.push(el('h2', { text: (bo.name || bo.id) }));
    rows.push(el('p', { 'class': 'hint', text: type.replace('bpmn:', '') + ' · ' + L.id + ' ' + bo.id, 'data-element-id': bo.id }));
    if (type !== 'bpmn:SequenceFlow' || bo.name) {
      rows.push(this.field('prop-name', L.name, this.input(bo.name, function (value) {
        if (target.type === 'bpmn:Process' || !target.parent) {
          self.modeling.updateModdleProperties(target, bo, { name: value || undefined });
        } else {
          self.modeling.updateLabel(target, value);
        }
        self.show(self.element);
      })));
    }
    if (type === 'bpmn:Process') { rows.push(this.startableBy(target, bo)); rows = rows.concat(this.clockRows(target, bo)); }
    var topStart = type === 'bpmn:StartEvent' && bo.$parent && bo.$parent.$type === 'bpmn:Process';
    if (USER_TASKS.indexOf(type) >= 0 || topStart) { rows = rows.concat(this.formRows(target, bo)); }
    if (USER_TASKS.indexOf(type) >= 0) { rows = rows.concat(this.assignmentRows(target, bo)); }
    if (type === 'bpmn:ScriptTask') {
      rows.push(this.field('prop-script', L.script, this.textarea(bo.script, function (value) {
        self.modeling.updateProperties(target, { script: value || undefined });
      })));
    }
    if (type === 'bpmn:ServiceTask') { rows.push(this.operationRow(target, bo)); }
    if (PRE_POST.indexOf(type) >= 0) {
      [['spiffworkflow:PreScript', 'prop-prescript', L.preScript], ['spiffworkflow:PostScript', 'prop-postscript', L.postScript]]
        .forEach(function (s) {
          var existing = self.extension(bo, s[0]);
          rows.push(self.field(s[1], s[2], self.textarea(existing ? existing.value : '', function (value) {
            self.setBodyExtension(target, bo, s[0], value.trim() ? value : '');
          })));
        });
    }
    if (REPLIES.indexOf(type) >= 0) { rows = rows.concat(this.replyRows(target, bo)); }
    if (type === 'bpmn:SequenceFlow') { rows.push(this.conditionRow(target, bo)); }
    var timer = (bo.eventDefinitions || []).filter(function (d) { return d.$type === 'bpmn:TimerEventDefinition'; })[0];
    if (timer) { rows = rows.concat(this.timerRows(target, timer)); }
    this.container.replaceChildren.apply(this.container, rows);
  };

  Panel.prototype.formRows = function (target, bo) {
    var L = this.labels;
    var self = this;
    var current = this.property(bo, 'formJsonSchemaFilename');
    var names = this.setup.palette.forms.concat(Object.keys(this.setup.forms || {}));
    if (current && names.indexOf(current) < 0) { names.push(current); }
    names = names.filter(function (n, i) { return names.indexOf(n) === i; }).sort();
    var options = [['', L.noForm]].concat(names.map(function (n) { return [n, n]; }));
    var rows = [this.field('prop-form', L.form, this.select(options, current, function (value) {
      self.setProperty(target, bo, 'formJsonSchemaFilename', value);
      self.show(self.element);
    }))];
    if (current) {
      rows.push(el('p', {}, [el('a', { href: this.setup.urls.form + '?name=' + encodeURIComponent(current),
                                        id: 'prop-form-edit', text: L.editForm })]));
    }
    return rows;
  };

  Panel.prototype.assignmentRows = function (target, bo) {
    var L = this.labels;
    var self = this;
    var groups = this.property(bo, 'candidateGroups');
    var input = this.input(groups, function (value) { self.setProperty(target, bo, 'candidateGroups', value); });
    input.setAttribute('list', 'pdw-groups');
    var datalist = el('datalist', { id: 'pdw-groups' }, this.setup.palette.groups.map(function (g) {
      return el('option', { value: g });
    }));
    var add = this.select([['', L.addGroup]].concat(this.setup.palette.groups.map(function (g) { return [g, g]; })), '',
      function (value) {
        if (!value) { return; }
        var list = groups ? groups.split(',').map(function (g) { return g.trim(); }).filter(Boolean) : [];
        if (list.indexOf(value) < 0) { list.push(value); }
        self.setProperty(target, bo, 'candidateGroups', list.join(','));
        self.show(self.element);
      });
    var rules = this.setup.palette.rules;
    var rule = this.property(bo, 'deadlineRule');
    var ruleOptions = [['', L.noRule]].concat(rules.map(function (r) {
      var title = document.documentElement.lang === 'en' ? r.title_en : r.title_zh;
      return [r.id, title + ' · ' + r.article + ' · ' + r.period + ' ' + (r.unit === 'working_days' ? L.workingDays : L.days)];
    }));
    return [
      this.field('prop-groups', L.groups, input),
      datalist,
      this.field('prop-group-add', L.addGroup, add),
      this.field('prop-groups-expression', L.groupsExpression,
        this.textarea(this.property(bo, 'candidateGroupsExpression'), function (value) {
          self.setProperty(target, bo, 'candidateGroupsExpression', value.trim());
        })),
      this.field('prop-rule', L.rule, this.select(ruleOptions, rule, function (value) {
        self.setProperty(target, bo, 'deadlineRule', value);
      }))
    ];
  };

  Panel.prototype.startableBy = function (target, bo) {
    var self = this;
    var chosen = (this.property(bo, 'startableBy') || 'applicant').split(',').map(function (r) { return r.trim(); });
    var boxes = this.setup.palette.roles.map(function (role) {
      var box = el('input', { type: 'checkbox', value: role, id: 'prop-startable-' + role });
      box.checked = chosen.indexOf(role) >= 0;
      box.addEventListener('change', function () {
        var roles = Array.prototype.filter.call(self.container.querySelectorAll('[id^=prop-startable-]'),
          function (b) { return b.checked; }).map(function (b) { return b.value; });
        self.setProperty(target, bo, 'startableBy', roles.join(','));
      });
      return el('label', { 'class': 'check', 'for': box.id }, [box, document.createTextNode(' ' + role)]);
    });
    return el('fieldset', { 'class': 'field' }, [el('legend', { text: this.labels.startableBy })].concat(boxes));
  };

  // The procedure's statutory clock and who answers and applies (engine/services/statutory.py,
  // engine/permissions.py): its rule, or the article for which the Measures set no period; the
  // competent authority; the kinds of account that may apply; a start kept to the authority.
  Panel.prototype.clockRows = function (target, bo) {
    var L = this.labels;
    var self = this;
    var en = document.documentElement.lang === 'en';
    var governing = this.setup.palette.rules.filter(function (r) {
      return r.statutory && !r.extends && r.counts_from === 'receipt';
    }).map(function (r) {
      return [r.id, (en ? r.title_en : r.title_zh) + ' · ' + r.article + ' · ' + r.period + ' ' +
              (r.unit === 'working_days' ? L.workingDays : L.days)];
    });
    var none = this.setup.palette.no_period.map(function (n) {
      return [n.id, (en ? n.title_en : n.title_zh) + ' · ' + n.article];
    });
    var rows = [this.field('prop-statutory-rule', L.statutoryRule,
      this.select([['', L.noStatutory]].concat(governing, none), this.property(bo, 'statutoryRule'), function (value) {
        self.setProperty(target, bo, 'statutoryRule', value);
      }))];
    rows.push(this.checkbox('prop-competent', L.competentUnit, this.property(bo, 'competentUnit') === 'authority',
      function (on) { self.setProperty(target, bo, 'competentUnit', on ? 'authority' : ''); }));
    rows.push(this.checkbox('prop-startable-at', L.startableAt, this.property(bo, 'startableAt') === 'authority',
      function (on) { self.setProperty(target, bo, 'startableAt', on ? 'authority' : ''); }));
    var kinds = (this.property(bo, 'applicantKinds') || '').split(',').map(function (k) { return k.trim(); })
      .filter(Boolean);
    var boxes = this.setup.palette.kinds.map(function (kind) {
      var box = el('input', { type: 'checkbox', value: kind.code, id: 'prop-kind-' + kind.code });
      box.checked = kinds.indexOf(kind.code) >= 0;
      box.addEventListener('change', function () {
        var chosen = Array.prototype.filter.call(self.container.querySelectorAll('[id^=prop-kind-]'),
          function (b) { return b.checked; }).map(function (b) { return b.value; });
        // None ticked, or all: anyone may apply, which the engine reads from no property at all.
        var all = chosen.length === 0 || chosen.length === self.setup.palette.kinds.length;
        self.setProperty(target, bo, 'applicantKinds', all ? '' : chosen.join(','));
      });
      return el('label', { 'class': 'check', 'for': box.id }, [box, document.createTextNode(' ' + (en ? kind.en : kind.zh))]);
    });
    rows.push(el('fieldset', { 'class': 'field' }, [el('legend', { text: L.applicantKinds })].concat(boxes)));
    return rows;
  };

  // On an element: passing it gives the applicant the formal reply (`statutoryReply`, written as
  // the article of the process's clock), or extends the period by a rule extending that clock.
  Panel.prototype.replyRows = function (target, bo) {
    var L = this.labels;
    var self = this;
    var root = this.modeler.get('canvas').getRootElement().businessObject;
    var governing = this.property(root, 'statutoryRule');
    var rule = this.setup.palette.rules.filter(function (r) { return r.id === governing; })[0];
    var none = this.setup.palette.no_period.filter(function (n) { return n.id === governing; })[0];
    var article = rule ? rule.article : (none ? none.article : 'true');
    var rows = [this.checkbox('prop-reply', L.statutoryReply, !!this.property(bo, 'statutoryReply'), function (on) {
      self.setProperty(target, bo, 'statutoryReply', on ? article : '');
    })];
    var extensions = this.setup.palette.rules.filter(function (r) { return governing && r.extends === governing; });
    var current = this.property(bo, 'statutoryExtension');
    if (extensions.length || current) {
      var en = document.documentElement.lang === 'en';
      rows.push(this.field('prop-extension', L.statutoryExtension, this.select([['', L.noExtension]].concat(
        extensions.map(function (r) {
          return [r.id, (en ? r.title_en : r.title_zh) + ' · ' + r.article + ' · +' + r.period + ' ' +
                  (r.unit === 'working_days' ? L.workingDays : L.days)];
        })), current, function (value) { self.setProperty(target, bo, 'statutoryExtension', value); })));
    }
    return rows;
  };

  Panel.prototype.checkbox = function (id, label, checked, onChange) {
    var box = el('input', { type: 'checkbox', id: id });
    box.checked = checked;
    box.addEventListener('change', function () { onChange(box.checked); });
    return el('div', { 'class': 'field' }, [el('label', { 'class': 'check', 'for': id }, [box, document.createTextNode(' ' + label)])]);
  };

  Panel.prototype.operationRow = function (target, bo) {
    var self = this;
    var operator = this.extension(bo, 'spiffworkflow:ServiceTaskOperator');
    var options = [['', '—']].concat(this.setup.palette.operations.map(function (o) { return [o, o]; }));
    return this.field('prop-operation', this.labels.operation, this.select(options, operator ? operator.id : '', function (value) {
      self.setBodyExtension(target, bo, 'spiffworkflow:ServiceTaskOperator', value, value ? { id: value } : null);
    }));
  };

  Panel.prototype.conditionRow = function (target, bo) {
    var self = this;
    var condition = bo.conditionExpression ? bo.conditionExpression.body : '';
    return this.field('prop-condition', this.labels.condition, this.textarea(condition, function (value) {
      var expression = value.trim() ? self.moddle.create('bpmn:FormalExpression', { body: value.trim() }) : undefined;
      self.modeling.updateProperties(target, { conditionExpression: expression });
    }));
  };

  Panel.prototype.timerRows = function (target, timer) {
    var L = this.labels;
    var self = this;
    var kind = TIMER_KINDS.filter(function (k) { return timer[k]; })[0] || 'timeDuration';
    var value = timer[kind] ? timer[kind].body : '';
    function write(newKind, newValue) {
      var props = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
      if (newValue) { props[newKind] = self.moddle.create('bpmn:FormalExpression', { body: newValue }); }
      self.modeling.updateModdleProperties(target, timer, props);
    }
    return [
      el('h3', { text: L.timer }),
      this.field('prop-timer-kind', L.timerKind, this.select(TIMER_KINDS.map(function (k) { return [k, L[k]]; }), kind,
        function (newKind) { write(newKind, value); self.show(self.element); })),
      this.field('prop-timer-value', L.timerValue, this.textarea(value, function (newValue) {
        write(kind, newValue.trim());
      }), 'deadline_at("art20_share_reply", receipt_date) · "P30D" · "R/P90D"')
    ];
  };

  window.PdwProperties = Panel;
})();
