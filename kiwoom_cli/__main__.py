from kiwoom_cli.cli.main import run

run()
