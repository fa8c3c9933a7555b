"""Learning: courses, lessons, grading and spaced repetition."""
