from studio.core.datasets.sample import sample_options, sample_path, sample_qa_path
from studio.devtools import make_sample


def test_the_shipped_samples_are_what_the_script_makes():
    assert make_sample.main(["--check"]) == 0
    assert sample_path().read_text(encoding="utf-8") == make_sample.stories_text()
    assert 1_000_000 < sample_path().stat().st_size < 3_000_000
    assert sample_qa_path().stat().st_size < 500_000


def test_the_sample_is_small_regular_english(studio, admin):
    info = studio.datasets.import_dataset(admin, sample_options())
    s = info.stats
    assert info.tokenizer == "char" and info.vocab_size < 100
    assert s.documents > 8000 and s.split("val").documents > 300 and s.split("test").documents > 300
    assert s.cleaning["duplicates_dropped"] == 0 and s.unknown_tokens == 0
    assert s.top_tokens[0].text == " "
    words = sample_path().read_text(encoding="utf-8").split()
    assert len(set(words)) < 600  # a small vocabulary: learnable in minutes


def test_the_generator_scales_for_benchmarks():
    docs = list(make_sample.stories(200_000, seed=1))
    assert 150_000 < sum(len(d) + 2 for d in docs) < 201_000
    assert docs == list(make_sample.stories(200_000, seed=1))
