from rettidig_cli.cli import main

main()
