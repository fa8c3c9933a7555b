"""Progress: XP, daily goal, streaks, hearts, gems, achievements, weekly leagues and statistics."""
