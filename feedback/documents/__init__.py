"""Document builders of the feedback app: the summary report as PDF and DOCX, moderated points as
CSV.

Each builder is a pure function from plain data (a selector's result) to bytes, like
events/ical.py: no queries, no request, no storage, so a view, a task or a bench can call it and a
test can read its output without a database. Views and tasks fetch the data, call the builder and
decide where the bytes go.
"""
