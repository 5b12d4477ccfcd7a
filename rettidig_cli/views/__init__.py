"""A case as typed plain data: the plan, the morning overview, the history, the documents."""
