"""What a newcomer runs first: the README's commands, what they need, and test output that
shows only this project's warnings."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_RUN = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_readme_says_what_the_test_command_needs_and_how_to_do_without_it():
    setup = README.split("## Two commands")[1].split("## Command line")[0]
    assert "bash .ci/run" in setup and "root on Debian or Ubuntu" in setup
    assert 'python -m pytest -q -m "not browser"' in setup
    # .ci/run still runs every test, installing chromium only when it is missing.
    assert CI_RUN.rstrip().endswith("python -m pytest -q -p no:cacheprovider")
    assert "if ! command -v chromium" in CI_RUN and "apt-get install -y -q chromium" in CI_RUN


def test_gradios_pandas_deprecations_are_filtered_and_others_are_not(tmp_path):
    probe = tmp_path / "test_probe.py"
    probe.write_text(textwrap.dedent("""\
        import warnings


        def test_warnings():
            # What Gradio's queue sets off on every event (pandas' Pandas4Warning, a
            # DeprecationWarning raised from gradio/queueing.py), then one of ours.
            warnings.warn_explicit("The copy keyword is deprecated", DeprecationWarning, "queueing.py", 178,
                                   module="gradio.queueing")
            warnings.warn("ours", DeprecationWarning)
    """))

    def run(*options):
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c",
                               str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path), *options, str(probe)],
                              capture_output=True, text=True, cwd=tmp_path).stdout

    filtered = run()
    assert "1 passed, 1 warning" in filtered and "ours" in filtered and "copy keyword" not in filtered
    unfiltered = run("-W", "always::DeprecationWarning")  # the command line overrides the config
    assert "1 passed, 2 warnings" in unfiltered and "copy keyword" in unfiltered
