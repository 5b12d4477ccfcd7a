"""The rules of the work: vocabulary, dates, fields, CPR and text cleaning, FIT, anonymising, errors."""
