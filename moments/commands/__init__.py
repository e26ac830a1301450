"""The `moments` commands, one module each (moments/cli.py lists them).

A command module has `add_parser(commands)`, which adds its subcommand to the
`moments` parser with `handler` set to a function of the parsed arguments that returns
the exit status. A new command is one new module and one line in `cli.COMMANDS`.
"""
