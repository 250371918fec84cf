"""What every page needs: the template context, errors, sessions and CSRF, security headers,
languages, request helpers and dependencies, health. Imports no feature package."""
