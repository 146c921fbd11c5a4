# Every target starts from scripts/setup, so each works on a fresh Debian machine.
PY := .venv/bin/python

.PHONY: setup demo test test-fast bench

setup:
	bash scripts/setup

demo: setup
	mkdir -p out
	$(PY) -m coach export out/leg-mobility.mp3 --captions out/leg-mobility.srt --cache-dir audio_cache

# A worker per core, each taking whole files (module fixtures are made once, counts kept whole).
test: setup
	.venv/bin/lint-imports --no-cache
	$(PY) -m pytest -q -p no:cacheprovider -n auto --dist loadfile

# The suite without the tests marked slow (real voices, real-time playback, many renders):
# under a minute on two cores, for the edit-test loop. `make test` still runs them all.
test-fast: setup
	.venv/bin/lint-imports --no-cache
	$(PY) -m pytest -q -p no:cacheprovider -m "not slow" -n auto --dist loadfile

# The figures, then their tables in docs/benchmarks.md (written from the results, never by hand).
bench:
	SETUP_BENCH=1 bash scripts/setup
	$(PY) scripts/bench.py --json bench/results.json
	$(PY) scripts/bench_player.py bench/player.json
	$(PY) scripts/bench_tables.py bench/results.json docs/benchmarks.md --player bench/player.json
