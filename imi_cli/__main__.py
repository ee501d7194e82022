from imi_cli.cli.app import run

run()
