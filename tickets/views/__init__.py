"""Server-rendered pages: the customer portal (``portal``) and the agent workspace (``agent``)."""
