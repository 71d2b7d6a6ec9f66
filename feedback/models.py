# Breakout capture, surveys, themes and "you said, we did" come in later issues; they will hang off
# events.Session (questions, facilitators) and events.Meeting.
