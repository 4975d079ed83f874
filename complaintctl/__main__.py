from complaintctl.cli.app import main

main()
