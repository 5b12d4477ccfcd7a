"""Terminal output (rich) and questions (questionary), and the output boundary that cleans text."""
