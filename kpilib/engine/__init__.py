"""The engine: plan files become frozen plan objects, rules score items, scoring makes a month.

Pure: no files, no store, no printing. See README, "The house".
"""
