import sys

from studio.cli.hidden import run_hidden

# A hidden verb (a worker the studio started) runs without importing the CLI's commands.
code = run_hidden(sys.argv[1:])
if code is None:
    from studio.cli.main import main

    code = main()
raise SystemExit(code)
