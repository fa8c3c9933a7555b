"""Accounts: who a learner is, how they sign in, and what they prefer."""
