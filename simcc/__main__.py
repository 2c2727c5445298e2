"""``python -m simcc`` runs the command line.

``python -m`` puts the working directory first on the import path; it is moved last
before anything else is imported (``simcc/__init__.py`` imports nothing but the
standard library), so that a ``numpy.py`` or ``scipy.py`` lying there is not imported
instead of the installed package.
"""

from simcc.runtime import working_directory_last

working_directory_last()

from simcc.cli import main  # noqa: E402  (after the import path is fixed)

main()
