"""SpiffWorkflow, configured for PDW: parser, serializer, clocked timers and sandboxed scripts."""
