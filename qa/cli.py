"""The ``qa`` command: index the corpus, ask questions, add articles.

Only argparse is imported up front, so ``qa --help`` answers at once.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import textwrap
from pathlib import Path

from .errors import QAError


def cmd_index(args) -> int:
    from .store.build import build_index
    from .store.console import console_progress

    report = build_index(corpus_dir=args.corpus, index_dir=args.index, model=args.model, rebuild=args.rebuild,
                         progress=console_progress(), store=args.store)
    print(report.summary())
    print(_where(report))
    return 0


def _where(report) -> str:
    """Where the index is, and that it is new when this command created it."""
    if report.reason == "no index yet":
        return f"index: {report.index_dir} (new)"
    return f"index: {report.index_dir}"


def _retriever(args):
    """The retriever a command asks: the index ``--index`` names, used as it is (when there
    is none, the error gives the command that builds it, from ``--corpus`` when given);
    else the corpus's own index, built first when there is none, saying where, and brought
    up to date."""
    from .answer.retriever import Retriever, default_retriever
    from .config import default_corpus_dir, default_index_dir, missing_index_message
    from .errors import IndexNotFoundError
    from .store.console import build_if_missing
    from .store.index_files import MANIFEST

    if args.index:
        if not (Path(args.index) / MANIFEST).is_file():
            raise IndexNotFoundError(missing_index_message(args.index, args.corpus))
        return Retriever(index_dir=args.index)
    corpus = Path(args.corpus) if args.corpus else default_corpus_dir()
    build_if_missing(corpus, default_index_dir(corpus))
    return default_retriever(corpus_dir=corpus)


def _format_hit(n: int, hit, width: int = 88) -> str:
    s, e = hit.highlight
    marked = hit.text[:s] + ">>> " + hit.text[s:e] + " <<<" + hit.text[e:]
    date = hit.published or "date unknown"
    if hit.published_note:
        date += " (date not stated in the article)"
    where = [hit.publisher or "publisher unknown"]
    if hit.author:
        where.append(f"by {hit.author}")
    where.append(date)
    if hit.page is not None:
        where.append(f"p. {hit.page}")
    lines = [f"[{n}] {hit.title}", f"    {', '.join(where)}"]
    if hit.url:
        lines.append(f"    {hit.url}")
    for copy in hit.also_published:
        also = ", ".join(x for x in (copy.publisher or copy.title, copy.published or "date unknown", copy.url) if x)
        lines.append(f"    also in: {also}")
    lines.append(f"    relevance {hit.relevance:.2f} · passage {hit.passage_id} · characters {hit.start}-{hit.end}")
    for para in marked.split("\n"):
        if para.strip():
            lines.append(textwrap.fill(para, width=width, initial_indent="    ", subsequent_indent="    "))
    return "\n".join(lines)


def cmd_ask(args) -> int:
    from .answer.compose import stated_date_note
    from .answer.retriever import check_question

    check_question(args.question)  # a bad question is refused before any index is built or loaded
    answer = _retriever(args).reply(args.question, k=args.k)  # the chat's reply, the same everywhere
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    if not hasattr(answer, "citations"):  # the events of a topic: each cited in its line
        return 0
    if not answer.found and answer.reason:
        print(f"    ({answer.reason})")
    note = stated_date_note(answer)
    if note is not None:
        print(f"    {note.detail}")  # whose date it is: the chat shows it on hover
    print()
    for n, hit in enumerate(answer.citations, start=1):
        print(_format_hit(n, hit))
        print()
    return 0


def cmd_add(args) -> int:
    """Files, web addresses and feeds, each through qa.ingest.adding's checks, then one index update."""
    from .config import default_corpus_dir
    from .ingest.adding import AlreadyInCorpus, fetch_web_article, store_article, store_fetched_article
    from .ingest.feeds import read_feed, store_feed
    from .ingest.readers import describe_formats
    from .store.console import console_progress
    from .store.transaction import corpus_update

    if not args.files and not args.feed:
        raise QAError("give articles to add: files, web addresses (https://...) or --feed ADDRESS")
    corpus = Path(args.corpus) if args.corpus else default_corpus_dir()
    addresses = [name for name in args.files if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", name)]
    files = [Path(name) for name in args.files if name not in addresses]
    for src in files:
        if not src.is_file():
            raise QAError(f"{src} is not a file; give the path of an article ({describe_formats()}) "
                          "or a web address (https://...)")
    # The network first, before this update takes its turn: a slow server holds up no other
    # update (each fetch has its deadline, qa.ingest.fetch).
    fetched = {}
    for url in addresses:
        try:
            fetched[url] = fetch_web_article(url, corpus)
        except AlreadyInCorpus as exc:
            print(f"unchanged {exc}")
    feed = read_feed(args.feed, corpus) if args.feed else None
    # One transaction for every article and the index update: on any error (a refusal, a
    # full disk, Ctrl-C) the corpus and the index are left as they were, so running the
    # same command again works. Another update running: this one waits its turn.
    waiting = {"wait_s": args.wait} if args.wait is not None else {}
    with corpus_update(corpus, args.index, on_wait=lambda message: print(f"qa: {message}", file=sys.stderr,
                                                                          flush=True), **waiting) as update:
        given = {}  # stored path -> what it came from, as given
        for url, article in fetched.items():
            try:
                given[store_fetched_article(url, article, corpus, put=update.put)] = url
            except AlreadyInCorpus as exc:
                print(f"unchanged {exc}")
        for src in files:
            try:
                given[store_article(src.name, src.read_bytes(), corpus, replace=args.replace, put=update.put)] = src
            except AlreadyInCorpus:
                print(f"unchanged {src}: already in {corpus}")
        if feed is not None:
            print(store_feed(feed, corpus, put=update.put).summary())
        report = update.build(progress=console_progress())
        # Files the index could not take (the same text as an article there, too many
        # passages) are not kept, as for an upload on the web page.
        refused = dict(update.not_indexed(report))
    for path, source in given.items():
        if path in refused:
            print(f"not added {source}: {refused[path]}")
        else:
            print(f"{'fetched' if source in fetched else 'copied':9} {source} -> {path}")
    for path in refused.keys() - given.keys():  # a feed's item
        print(f"not added {path.name}: {refused[path]}")
    print(report.summary())
    print(_where(report))
    return 1 if refused else 0


def cmd_serve(args) -> int:
    from .web.app import serve

    serve(host=args.host, port=args.port, corpus_dir=args.corpus, index_dir=args.index)
    return 0


def cmd_eval(args) -> int:
    if bool(args.questions) == bool(args.beir):
        raise QAError("give either a questions file (qa eval QUESTIONS.jsonl) or a BEIR folder (qa eval --beir DIR)")
    cache = None if args.no_cache else args.cache
    if args.beir:
        from .evaluate.beir import evaluate_beir

        log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
        report = evaluate_beir(args.beir, split=args.split, model=args.model, cache_dir=cache,
                               passages=args.passages, log=log)
        print(report.table())
        return 0
    if Path(args.questions).is_dir():  # a reader-style folder: articles/, questions.jsonl, followups.jsonl
        from .evaluate.newsqa import evaluate_folder

        report = evaluate_folder(args.questions, cache_dir=cache, model=args.model, k=args.k)
        print(report.table(verbose=args.verbose))
        return 0
    from .evaluate.questions import evaluate_questions

    report = evaluate_questions(args.questions, _retriever(args), k=args.k)
    print(report.summary(verbose=args.verbose))
    return 0


def cmd_train(args) -> int:
    """Train the reader on SQuAD, export it, and fit the answer model beside it."""
    from .config import AnswerSettings, PROJECT_ROOT

    squad = Path(args.squad) if args.squad else PROJECT_ROOT.parent / "shared" / "benchmarks" / "squad-train" / \
        "squad-v1.1-dev-train-pool.json"
    if not squad.is_file():
        raise QAError(f"no SQuAD file at {squad}; give one with --squad (SQuAD v1.1 JSON: data, paragraphs, qas)")
    out = Path(args.out) if args.out else AnswerSettings().reader_folder()
    work = Path(args.work)
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    unanswerable = Path(args.calibrate_unanswerable) if args.calibrate_unanswerable else None
    if unanswerable is not None:
        if not unanswerable.is_file():
            raise QAError(f"no SQuAD 2.0 file at {unanswerable} (--calibrate-unanswerable)")
        from .evaluate.fitting import unanswerable_articles
        from .reader.squad import read_squad

        try:  # refused before any training: the fit would refuse it after
            unanswerable_articles(unanswerable, read_squad(squad))
        except ValueError as exc:
            raise QAError(f"{exc} (--calibrate-unanswerable)") from exc
    if not args.fit_only:
        from .reader.export import export
        from .reader.settings import TrainingSettings
        from .reader.training import train

        more = [Path(path) for path in args.more_squad]
        missing = [str(path) for path in more if not path.is_file()]
        if missing:
            raise QAError(f"no SQuAD file at {missing[0]} (--more-squad)")
        settings = TrainingSettings(layers=args.layers, epochs=args.epochs, seed=args.seed, teacher=args.teacher or "")
        trained = train(squad, work / "reader", settings, log=log, more=more, more_articles=args.more_articles)
        export(trained, out)
        log(f"reader written to {out}")
    from .evaluate.fitting import train_answer_model

    settings = AnswerSettings(reader_dir=str(out))
    model = train_answer_model(squad, work / ("squad-unanswerable" if unanswerable else "squad"), settings,
                               embedding_model=args.model, log=log, unanswerable_squad=unanswerable)
    path = settings.fitted_model_path(args.model)
    path.write_text(model.to_json(), encoding="utf-8")
    print(f"answer model written to {path} (threshold {model.threshold:.3f})")
    return 0


def cmd_bench(args) -> int:
    """Run the speed benchmarks (:mod:`qa.bench.perf`, which time the public API from
    above it) in their own process, with the remaining arguments."""
    import subprocess

    return subprocess.call([sys.executable, "-m", "qa.bench.perf", *args.bench_args])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa", description="Answer questions about news articles with cited passages."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        """A subcommand whose summary is its line in `qa --help` and the first of `qa NAME --help`."""
        return sub.add_parser(name, help=summary, description=f"{summary[0].upper()}{summary[1:]}.")

    def dirs(p):
        p.add_argument("--corpus", help="folder of articles (default: $QA_CORPUS_DIR or ./corpus)")
        p.add_argument("--index", help="index folder (default: $QA_INDEX_DIR, else the corpus's own: "
                                       "index/ beside a folder named corpus, DIR-index beside any other DIR)")

    p = command("index", "build or update the index (only new and changed articles are embedded)")
    dirs(p)
    p.add_argument("--rebuild", action="store_true", help="embed every article again")
    p.add_argument("--model", help="sentence-transformers model name or path (default: $QA_MODEL or all-MiniLM-L6-v2)")
    p.add_argument("--store", metavar="URI",
                   help="where passage vectors live: faiss (default, in the index folder), "
                        "milvus:///abs/path/qa.db (Milvus Lite) or http://host:19530 (a Milvus server, "
                        "credentials in $QA_MILVUS_TOKEN); kept by later updates")
    p.set_defaults(func=cmd_index)

    p = command("ask", "answer a question with ranked, cited passages")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    dirs(p)
    p.set_defaults(func=cmd_ask)

    from .ingest.readers import describe_formats  # light: the readers import their libraries on first use

    p = command("add", "add articles (files, web addresses, a feed) to the corpus and update the index")
    p.add_argument("files", nargs="*", metavar="FILE_OR_URL",
                   help=f"article files ({describe_formats()}) or web addresses of articles (https://...)")
    p.add_argument("--feed", metavar="URL", help="an RSS or Atom feed: add every item not yet in the corpus")
    p.add_argument("--replace", action="store_true", help="overwrite a corpus file of the same name")
    p.add_argument("--wait", type=float, metavar="SECONDS",
                   help="how long to wait while another update (qa add, an upload) runs (default 300)")
    dirs(p)
    p.set_defaults(func=cmd_add)

    p = command("serve", "start the web chat (http://127.0.0.1:7860), indexing first if needed")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: $GRADIO_SERVER_PORT or 7860)")
    dirs(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "eval", help="measure retrieval: hit@1, hit@3, MRR on a question set, or nDCG@10 on a BEIR benchmark",
        description="qa eval QUESTIONS.jsonl: lines of {\"q\": ..., \"expect\": phrase of the answering passage "
                    "or null}; prints hit@1, hit@3, MRR and answered/abstained counts. "
                    "qa eval DIR (articles/, questions.jsonl, followups.jsonl): indexes the articles and prints "
                    "right / wrong confident answers by kind, on the tune and report halves, and risk-coverage. "
                    "qa eval --beir DIR: indexes the benchmark as articles and prints nDCG@10 and Recall@100 of "
                    "the product's ranking (qa.Retriever), and of dense and BM25 alone.",
    )
    p.add_argument("questions", nargs="?", metavar="QUESTIONS.jsonl|DIR")
    p.add_argument("-k", type=int, default=5, help="passages retrieved per question (default 5)")
    p.add_argument("--verbose", "-v", action="store_true", help="list every question, not only the misses")
    p.add_argument("--beir", metavar="DIR", help="a BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv")
    p.add_argument("--split", default="test", help="qrels file to judge by (default test; tune on train)")
    p.add_argument("--model", help="embedding model for --beir or a DIR (default: $QA_MODEL or all-MiniLM-L6-v2)")
    p.add_argument("--cache", default="benchmarks/.cache",
                   help="where --beir and DIR keep the benchmark's corpus and index between runs "
                        "(default benchmarks/.cache)")
    p.add_argument("--no-cache", action="store_true", help="index the benchmark again and keep nothing")
    p.add_argument("--passages", type=int, default=400,
                   help="with --beir: passages ranked per query; documents rank by their best (default 400)")
    dirs(p)
    p.set_defaults(func=cmd_eval)

    from .reader.settings import TrainingSettings

    p = sub.add_parser("train", help="train the reader and fit the answer model on public data (SQuAD), ~45 minutes on 2 cores",
                       description="Trains the cross-encoder reader on a SQuAD v1.1 file, exports it to int8 ONNX "
                                   "and fits the answer model (weights, calibration, threshold) beside it; "
                                   "docs/reader.md has the details and the figures.")
    p.add_argument("--squad", help="SQuAD v1.1 JSON to train on (default ../shared/benchmarks/squad-train/"
                                   "squad-v1.1-dev-train-pool.json)")
    p.add_argument("--out", help="folder for the reader and answer model (default: the shipped qa/reader/model)")
    p.add_argument("--work", default="build/training", help="working folder (default build/training)")
    p.add_argument("--fit-only", action="store_true", help="keep the reader in --out; fit the answer model only")
    p.add_argument("--more-squad", action="append", default=[], metavar="FILE",
                   help="another SQuAD file (v1.1 or v2.0) whose articles the reader is trained on too, never "
                        "held out (the answer model is fitted on --squad's held-out articles); may repeat")
    p.add_argument("--more-articles", type=int, help="of each --more-squad file, only its first N articles")
    p.add_argument("--calibrate-unanswerable", metavar="FILE",
                   help="a SQuAD 2.0 file whose unanswerable questions join the answer model's calibration, its "
                        "articles the fitting corpus (round 11 of experiments/reader/README.md)")
    p.add_argument("--teacher", metavar="MODEL", help="an embedding model (e.g. all-mpnet-base-v2) whose cosines "
                                                      "the reader learns to rank by too (round 10 of "
                                                      "experiments/reader/README.md)")
    p.add_argument("--model", help="the embedding model the answer model is fitted for (default: $QA_MODEL or "
                                   "all-MiniLM-L6-v2; each model has its own answer model)")
    p.add_argument("--layers", type=int, default=TrainingSettings.layers, help="transformer layers of the reader")
    p.add_argument("--epochs", type=int, default=TrainingSettings.epochs)
    p.add_argument("--seed", type=int, default=TrainingSettings.seed)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("bench", add_help=False,
                       help="measure speed beside the naive pipeline (qa/bench/perf.py; qa bench --help)")
    p.add_argument("bench_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # every option after it belongs to the benchmark script
        args = argparse.Namespace(func=cmd_bench, bench_args=argv[1:])
    else:
        args = parser.parse_args(argv)
    try:
        return args.func(args)
    except QAError as exc:
        print(f"qa: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of the output has gone (`qa ask --json | head`): end quietly, as other
        # commands do, and keep Python from complaining about the unflushed rest at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command its pipe ended
    except OSError as exc:  # a write the command did not expect to fail
        from .errors import StorageError

        print(f"qa: error: {StorageError.from_os_error(exc, 'the command stopped there')}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("qa: interrupted; the index is as it was before this command", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
