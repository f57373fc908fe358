"""Off-topic questions: the SciFact and Cranfield test queries asked of the seed corpus (only
the queries are embedded, not the benchmark corpora); how many the assistant abstains on.
PYTHONPATH=. python benchmarks/reader_answers/offtopic.py"""
from qa.answer.retriever import Retriever
from qa.evaluate.beir import load_beir

retriever = Retriever(index_dir="benchmarks/.cache/index-seed")
for name in ("scifact", "cranfield"):
    data = load_beir(f"../shared/benchmarks/{name}", "test")
    questions = list(data.queries.values())
    answered = [q for q in questions if retriever.answer(q).found]
    print(f"{name}: {len(questions)} asked of the seed corpus, {len(questions) - len(answered)} abstained;"
          f" answered: {answered[:4]}")
