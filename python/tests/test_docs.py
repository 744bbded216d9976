"""docs/testing.md shows the examples the suite runs, exactly as they are."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_testing_md_shows_each_example_verbatim():
    page = (ROOT / "docs" / "testing.md").read_text()
    for name, fence in [("test_serial_echo.py", "python"), ("serial_echo.rs", "rust"),
                        ("serial-echo.toml", "toml")]:
        text = (ROOT / "docs" / "examples" / name).read_text()
        assert f"```{fence}\n{text}```" in page, f"docs/testing.md does not show {name} as it is"
