"""`python -m barapp` is the `barapp` command."""

from barapp.cli import main

main()
