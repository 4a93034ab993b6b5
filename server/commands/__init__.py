"""One module per `flux` command; each has `register(subparsers, add_database_option)`."""
