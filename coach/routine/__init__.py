"""Routines: the model, the field table (readers, defaults, schema), YAML reading,
validation, and the packaged routines. The bottom layer above the base: it imports no other."""
