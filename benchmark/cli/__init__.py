"""The ``saeprobe`` command: one module per subcommand group."""
