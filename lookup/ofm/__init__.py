"""The OFM analyst workspace (DESIGN.md "OFM analyst workspace"): insurance compliance by mission
and the exports analysts load into their own tools. Analysts only; every read is audited."""
