"""Everything a person touches: the CLI, the Textual review console, the demo."""
