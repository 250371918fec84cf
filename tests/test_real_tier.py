"""The real-model tier's runner, without models: its sample of wishes and its summary line.
(The tier itself needs llama.cpp and runs apart: `make test-real`.)"""

from __future__ import annotations

from pathlib import Path

from tests.real import run


def test_the_wishes_are_a_fair_sample_even_when_cut_short() -> None:
    assert len(run.WISHES) >= 24
    for wishes in (run.WISHES, run.WISHES[:8]):
        assert {w.lang for w in wishes} == {"en", "fr"}
        assert any(not w.on_topic for w in wishes)
    assert 2 <= sum(not w.on_topic for w in run.WISHES) <= 6


def test_the_summary_counts_on_and_off_topic_apart() -> None:
    on, off = run.Wish("a negroni", "en"), run.Wish("capital of Peru?", "en", on_topic=False)
    outcomes = [
        run.Outcome(on, "saved", "", "Negroni", 300, 10.0),
        run.Outcome(on, "failed", "truncated", "stopped at num_predict=1200", None, 50.0),
        run.Outcome(on, "refused", "off_topic", "Only drinks here", 80, 4.0),
        run.Outcome(off, "refused", "off_topic", "Only drinks here", 60, 3.0),
        run.Outcome(off, "failed", "invalid_output", "no ingredient", None, 20.0),
    ]
    assert run.summary("m", outcomes) == (
        "**m**: saved 1/3 (33%) of on-topic, refused 1/2 (50%) of off-topic; "
        "failures: truncated 1, invalid_output 1; 5 wishes in 87 s (median 10 s)"
    )


def test_no_module_of_the_tier_is_collected_by_pytest() -> None:
    # The server and the grammar measure import llama_cpp, which only the scratch venv has.
    names = [p.name for p in (Path(__file__).parent / "real").glob("*.py")]
    assert "llamacpp_ollama.py" in names
    assert not [n for n in names if n.startswith("test_") or n.endswith("_test.py")]
