"""The BPMN parser: SpiffWorkflow's, with PDW's clocked timers registered in its parser classes."""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    IntermediateCatchEvent,
    StartEvent,
)
from SpiffWorkflow.spiff.specs.defaults import (
    ManualTask,
    NoneTask,
    ScriptTask,
    ServiceTask,
    SubWorkflowTask,
    UserTask,
)
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser,
    SpiffIntermediateCatchEventParser,
    SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.bpmn.loops import (
    ScriptTaskParserWithBounds,
    ServiceTaskParserWithBounds,
    SubProcessParserWithBounds,
    TaskParser,
    UserTaskParserWithBounds,
)
from engine.bpmn.timers import CLOCKED


class _ClockedTimerParsing:
    def parse_timer_event(self, event):
        plain = super().parse_timer_event(event)
        clocked = CLOCKED[type(plain)]
        return clocked(plain.name, plain.expression, description=plain.description)


class StartEventParser(_ClockedTimerParsing, SpiffStartEventParser):
    """Start events whose timers read PDW's clock."""


class BoundaryEventParser(_ClockedTimerParsing, SpiffBoundaryEventParser):
    """Boundary events (e.g. a statutory deadline on a review) whose timers read PDW's clock."""


class IntermediateCatchEventParser(_ClockedTimerParsing, SpiffIntermediateCatchEventParser):
    """Intermediate timer events whose timers read PDW's clock."""


class PdwBpmnParser(SpiffBpmnParser):
    """SpiffBpmnParser (so bpmn-js-spiffworkflow files load) with clocked timers and loops and
    multi-instances that stay within their budgets."""

    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("task"): (TaskParser, NoneTask),
        full_tag("userTask"): (UserTaskParserWithBounds, UserTask),
        full_tag("manualTask"): (TaskParser, ManualTask),
        full_tag("scriptTask"): (ScriptTaskParserWithBounds, ScriptTask),
        full_tag("serviceTask"): (ServiceTaskParserWithBounds, ServiceTask),
        full_tag("subProcess"): (SubProcessParserWithBounds, SubWorkflowTask),
        full_tag("startEvent"): (StartEventParser, StartEvent),
        full_tag("boundaryEvent"): (BoundaryEventParser, BoundaryEvent),
        full_tag("intermediateCatchEvent"): (IntermediateCatchEventParser, IntermediateCatchEvent),
    }
