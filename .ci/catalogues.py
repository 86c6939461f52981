"""Check the message catalogues against the sources (.ci/run; tests/test_languages.py).

Extracts our messages as `pybabel extract` does with babel.cfg (the keywords `_`, `N_`,
`gettext`, `ngettext`, `_l`, `lazy_gettext`) and fails when a catalogue under
flask_usercore/translations/ misses a msgid, leaves one empty or fuzzy, or has a
translation whose %(name)s placeholders do not fit its msgid (Babel's own checks).

    python .ci/catalogues.py                  # check; exit status 1 and the list on a problem
    python .ci/catalogues.py --compile DIR    # also compile every catalogue into DIR, as
                                              # `pybabel compile --statistics` does
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "flask_usercore"
TRANSLATIONS = PACKAGE / "translations"
DOMAIN = "usercore"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def extracted() -> Catalog:
    """The messages of the sources, as `pybabel extract -F babel.cfg` finds them."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    catalog = Catalog(domain=DOMAIN)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PACKAGE), method_map, options_map, keywords=KEYWORDS):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments,
                    context=context)
    return catalog


def catalogues() -> list[Path]:
    """Every catalogue of our domain."""
    return sorted(TRANSLATIONS.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def problems(template: Catalog, path: Path) -> list[str]:
    """What is wrong with the catalogue at ``path`` against ``template``."""
    language = path.parent.parent.name
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    found: list[str] = []
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, message.context)
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = [] if entry is None else (
            [entry.string] if isinstance(entry.string, str) else list(entry.string))
        if entry is None:
            found.append(f"{language}: missing msgid {key!r}")
        elif entry.fuzzy:
            found.append(f"{language}: fuzzy msgid {key!r}")
        elif not all(strings):
            found.append(f"{language}: empty translation of {key!r}")
    for message, errors in catalog.check():
        found += [f"{language}: {message.id!r}: {error}" for error in errors]
    return found


def compile_all(folder: Path) -> None:
    """`pybabel compile --statistics` of every catalogue into ``folder``."""
    from babel.messages.frontend import CommandLineInterface

    for path in catalogues():
        language = path.parent.parent.name
        target = folder / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
        target.parent.mkdir(parents=True, exist_ok=True)
        CommandLineInterface().run(["pybabel", "compile", "--statistics", "-D", DOMAIN,
                                    "-l", language, "-i", str(path), "-o", str(target)])
        if not target.is_file():
            raise SystemExit(f"{path} did not compile")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compile", type=Path, metavar="DIR",
                        help="also compile every catalogue into DIR")
    args = parser.parse_args(argv)
    template = extracted()
    found = [problem for path in catalogues() for problem in problems(template, path)]
    for problem in found:
        print(problem, file=sys.stderr)
    print(f"{len(template)} messages, {len(catalogues())} catalogue(s), "
          f"{len(found)} problem(s)")
    if found:
        return 1
    if args.compile is not None:
        compile_all(args.compile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
