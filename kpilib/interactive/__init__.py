"""Interactive analysis in JupyterLab: what-if, its widget panel, investigation."""
