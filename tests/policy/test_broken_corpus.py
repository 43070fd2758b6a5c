"""Every broken policy in tests/policy/broken is refused with exactly the errors its header names, and a running bot keeps its policy."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.policy_runtime import PolicyRuntime
from policy import DEFAULT_POLICY_PATH, PolicyErrors, load_policy
from policy.yamlsafe import MAX_FILE_BYTES

from tests.rules.test_seed_examples import REFUND

BROKEN = Path(__file__).with_name("broken")
DOCS = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text()
EXPECT = re.compile(rb"# expect: (\d+):(\d+) ([a-z-]+)\n")
DEFAULT_BYTES = Path(DEFAULT_POLICY_PATH).read_bytes()
OVERSIZED = "oversized-file"

Located = tuple[int, int, str]


def corpus() -> list[tuple[str, bytes]]:
    """(name, content) of every committed broken file, plus one over the size limit made at run time."""
    files = [(p.name, p.read_bytes()) for p in sorted(BROKEN.glob("*.yaml"))]
    padding = b"# " + b"x" * 98 + b"\n"
    oversized = b"# expect: 1:1 file-too-large\n" + DEFAULT_BYTES + padding * (MAX_FILE_BYTES // len(padding) + 1)
    return files + [(OVERSIZED, oversized)]


CORPUS = corpus()
IDS = [name for name, _ in CORPUS]
MISSPELT = [(name, content) for name, content in CORPUS if "-misspelt-" in name]


def expected(content: bytes) -> list[Located]:
    """The `# expect: LINE:COL code` lines that open the file."""
    found = []
    for line in content.splitlines(keepends=True):
        match = EXPECT.fullmatch(line)
        if not match:
            break
        found.append((int(match[1]), int(match[2]), match[3].decode()))
    return sorted(found)


def located(error_line: str, path: str) -> Located:
    """(line, col, code) of a `PATH:LINE:COL: code: message` line reported for `path`."""
    assert error_line.startswith(f"{path}:"), error_line
    match = re.match(r"(\d+):(\d+): ([a-z-]+): ", error_line[len(path) + 1:])
    assert match, error_line
    return int(match[1]), int(match[2]), match[3]


def load_errors(tmp_path: Path, content: bytes):
    """The PolicyErrors raised by loading `content` from a file."""
    path = tmp_path / "policy.yaml"
    path.write_bytes(content)
    with pytest.raises(PolicyErrors) as info:
        load_policy(str(path))
    assert all(e.path == str(path) for e in info.value.errors)
    return info.value.errors


def test_the_corpus_is_large_and_every_file_names_its_errors():
    assert len(CORPUS) >= 56
    assert all(expected(content) for _, content in CORPUS), [name for name, content in CORPUS if not expected(content)]
    assert all(re.fullmatch(r"\d{2,3}-[a-z0-9-]+\.yaml", name) for name, _ in CORPUS[:-1])


def test_every_expected_code_is_documented():
    codes = {code for _, content in CORPUS for _, _, code in expected(content)}
    assert {code for code in codes if f"`{code}`" not in DOCS} == set()


@pytest.mark.parametrize("name, content", CORPUS, ids=IDS)
def test_loading_reports_exactly_the_expected_errors(tmp_path, name, content):
    assert sorted((e.line, e.col, e.code) for e in load_errors(tmp_path, content)) == expected(content)


@pytest.mark.parametrize("name, content", MISSPELT, ids=[name for name, _ in MISSPELT])
def test_a_misspelt_key_gets_a_suggestion(tmp_path, name, content):
    unknown = [e.message for e in load_errors(tmp_path, content) if e.code == "unknown-key"]
    assert len(unknown) == 1 and re.search(r"\(did you mean '[a-z_]+'\?\)$", unknown[0]), unknown


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    path = tmp_path_factory.mktemp("runtime") / "policy.yaml"
    path.write_bytes(DEFAULT_BYTES)
    rt = PolicyRuntime(str(path))
    yield rt
    rt.stop()


@pytest.mark.parametrize("name, content", CORPUS, ids=IDS)
def test_a_running_bot_refuses_the_file_and_keeps_deciding_with_the_old_policy(runtime, name, content):
    good = runtime.version
    Path(runtime.path).write_bytes(content)
    result = runtime.reload("admin")
    assert (result.ok, result.changed, result.version) == (False, False, good)
    assert sorted(located(e, runtime.path) for e in result.errors) == expected(content)
    decision = runtime.live.decide_refund(REFUND)
    assert (decision.outcome, decision.policy_version) == ("approve_return", good)
