from imi_cli.cli import run

run()
