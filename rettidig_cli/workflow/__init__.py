"""The operations that change a case: the guide walk and the follow-up."""
