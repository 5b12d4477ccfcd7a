from rettidig_cli.commands.app import main

main()
