"""Reports: the batch, notebook execution, HTML, PDF printing, scorecards, index, sections,
charts."""
