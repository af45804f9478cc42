"""PDW engine: statutory public-data procedures as BPMN processes with legal deadlines."""
