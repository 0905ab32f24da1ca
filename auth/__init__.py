"""Auth: registration and login over the user database; issues the tokens edges check."""
