"""The claim pack: read a class's evidence, lay it out by a city template, write XLSX or PDF."""
