import sys

if len(sys.argv) > 1 and sys.argv[1] == "--pdf-worker":
    # The frozen app reading one PDF for core/pdf/sandbox.py: hand over before the CLI or Qt is imported.
    from papershelf.core.pdf.worker import main as pdf_worker

    sys.exit(pdf_worker(sys.argv[2:]))

from papershelf.cli import main

sys.exit(main())
