"""SpiffWorkflow, configured for PDW: parser, serializer, clocked timers, sandboxed scripts and
the operations service tasks call."""
