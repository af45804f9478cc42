"""The diagrams of the shipped procedures read cleanly: every element and flow is drawn, no flow
crosses a shape other than its own ends, flows start and end on their shapes' borders, labels
do not overlap each other or shapes, and names fit where they are drawn."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
SHIPPED = sorted(WORKFLOWS.glob("*.bpmn"))
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI"}
DRAWN = ("startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent",
         "userTask", "serviceTask", "scriptTask", "task", "manualTask", "exclusiveGateway", "parallelGateway")
EVENTS = ("startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent")
GATEWAYS = ("exclusiveGateway", "parallelGateway")
# bpmn-js draws names at 12px; a CJK character is about as wide as the font is high.
CHAR = 12
LINE = 15
TOLERANCE = 1.5


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    def overlaps(self, other: "Box") -> bool:
        return (self.x < other.x + other.w and other.x < self.x + self.w
                and self.y < other.y + other.h and other.y < self.y + self.h)


@dataclass(frozen=True)
class Shape:
    id: str
    kind: str
    name: str
    box: Box
    label: Box | None


def _box(bounds) -> Box:
    return Box(*(float(bounds.get(k)) for k in ("x", "y", "width", "height")))


def _diagram(path: Path):
    root = etree.parse(str(path)).getroot()
    elements = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    shapes, edges = {}, {}
    for di in root.iterfind(".//bpmndi:BPMNShape", NS):
        el = elements[di.get("bpmnElement")]
        label = di.find("bpmndi:BPMNLabel/dc:Bounds", NS)
        shapes[el.get("id")] = Shape(el.get("id"), etree.QName(el).localname, el.get("name") or "",
                                     _box(di.find("dc:Bounds", NS)), _box(label) if label is not None else None)
    for di in root.iterfind(".//bpmndi:BPMNEdge", NS):
        label = di.find("bpmndi:BPMNLabel/dc:Bounds", NS)
        points = [(float(p.get("x")), float(p.get("y"))) for p in di.iterfind("di:waypoint", NS)]
        edges[di.get("bpmnElement")] = (points, _box(label) if label is not None else None)
    return root, elements, shapes, edges


def _on_border(shape: Shape, point: tuple[float, float]) -> bool:
    x, y = point
    cx, cy = shape.box.centre
    if shape.kind in EVENTS:
        return abs(math.hypot(x - cx, y - cy) - shape.box.w / 2) <= TOLERANCE
    if shape.kind in GATEWAYS:
        return abs(abs(x - cx) / (shape.box.w / 2) + abs(y - cy) / (shape.box.h / 2) - 1) * shape.box.w / 2 <= TOLERANCE
    b = shape.box
    inside = b.x - TOLERANCE <= x <= b.x + b.w + TOLERANCE and b.y - TOLERANCE <= y <= b.y + b.h + TOLERANCE
    near_edge = min(abs(x - b.x), abs(x - b.x - b.w), abs(y - b.y), abs(y - b.y - b.h)) <= TOLERANCE
    return inside and near_edge


def _crosses(a: tuple[float, float], b: tuple[float, float], box: Box) -> bool:
    """True when segment a-b passes through the inside of `box` (its border shrunk by a pixel)."""
    left, right, top, bottom = box.x + 1, box.x + box.w - 1, box.y + 1, box.y + box.h - 1
    (x1, y1), (x2, y2) = a, b
    t0, t1 = 0.0, 1.0
    for p, q in ((-(x2 - x1), x1 - left), (x2 - x1, right - x1), (-(y2 - y1), y1 - top), (y2 - y1, bottom - y1)):
        if p == 0:
            if q < 0:
                return False
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return False
    return t1 - t0 > 1e-9


def _fits(name: str, box: Box, padding: float) -> bool:
    per_line = max(1, int((box.w - padding) // CHAR))
    return math.ceil(len(name) / per_line) * LINE <= box.h - padding


def _problems(path: Path) -> list[str]:
    root, elements, shapes, edges = _diagram(path)
    problems = []
    for el in elements.values():
        kind = etree.QName(el).localname
        if kind in DRAWN and el.get("id") not in shapes:
            problems.append(f"{el.get('id')}: not drawn")
        if kind == "sequenceFlow" and el.get("id") not in edges:
            problems.append(f"{el.get('id')}: not drawn")
    for flow_id, (points, _) in edges.items():
        flow = elements[flow_id]
        source, target = shapes.get(flow.get("sourceRef")), shapes.get(flow.get("targetRef"))
        if source is None or target is None or len(points) < 2:
            continue
        if not _on_border(source, points[0]):
            problems.append(f"{flow_id}: starts off the border of {source.id} at {points[0]}")
        if not _on_border(target, points[-1]):
            problems.append(f"{flow_id}: ends off the border of {target.id} at {points[-1]}")
        for shape in shapes.values():
            if shape.id in (source.id, target.id):
                continue
            if any(_crosses(a, b, shape.box) for a, b in zip(points, points[1:])):
                problems.append(f"{flow_id}: crosses {shape.id}")
    labels = [(s.id, s.label) for s in shapes.values() if s.label is not None and s.name]
    labels += [(f, label) for f, (_, label) in edges.items() if label is not None and elements[f].get("name")]
    for i, (first, a) in enumerate(labels):
        for second, b in labels[i + 1:]:
            if a.overlaps(b):
                problems.append(f"labels of {first} and {second} overlap")
        for shape in shapes.values():
            if shape.id != first and a.overlaps(shape.box):
                problems.append(f"label of {first} overlaps {shape.id}")
    for shape in shapes.values():
        if not shape.name:
            continue
        if shape.kind in EVENTS or shape.kind in GATEWAYS:
            if shape.label is None or not _fits(shape.name, shape.label, 0):
                problems.append(f"{shape.id}: its name does not fit its label")
        elif not _fits(shape.name, shape.box, 10):
            problems.append(f"{shape.id}: its name does not fit its box")
    for flow_id, (_, label) in edges.items():
        name = elements[flow_id].get("name")
        if name and (label is None or not _fits(name, label, 0)):
            problems.append(f"{flow_id}: its name does not fit its label")
    return problems


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_a_shipped_diagram_draws_every_element_cleanly(path):
    assert _problems(path) == []


def test_a_flow_through_a_shape_or_off_its_target_is_caught(tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text(f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{NS['bpmn']}" xmlns:bpmndi="{NS['bpmndi']}" xmlns:dc="{NS['dc']}" xmlns:di="{NS['di']}" id="d">
  <bpmn:process id="p">
    <bpmn:startEvent id="s"/><bpmn:userTask id="t" name="一个名字很长很长很长很长很长很长很长很长很长很长很长很长很长很长的任务"/><bpmn:endEvent id="e" name="结束"/>
    <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dd"><bpmndi:BPMNPlane id="pl" bpmnElement="p">
    <bpmndi:BPMNShape id="s_di" bpmnElement="s"><dc:Bounds x="0" y="22" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="t_di" bpmnElement="t"><dc:Bounds x="100" y="0" width="100" height="80"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="e_di" bpmnElement="e"><dc:Bounds x="300" y="22" width="36" height="36"/>
      <bpmndi:BPMNLabel><dc:Bounds x="100" y="60" width="30" height="15"/></bpmndi:BPMNLabel></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f_di" bpmnElement="f"><di:waypoint x="36" y="40"/><di:waypoint x="290" y="40"/></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>''', encoding="utf-8")

    assert _problems(bad) == ["f: ends off the border of e at (290.0, 40.0)", "f: crosses t",
                              "label of e overlaps t", "t: its name does not fit its box"]
