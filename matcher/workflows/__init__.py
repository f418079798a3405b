"""One library function per command: files in, files out.

Each ``matcher`` command parses its options, calls one function here and renders what it
returns; a notebook or a scheduler can call the same function. Workflows print nothing: they
report progress and warnings to a :class:`~matcher.workflows.common.Reporter`.

* :func:`~matcher.workflows.generate.generate_files` (``matcher generate``)
* :func:`~matcher.workflows.analyze.analyze_files` (``matcher analyze``)
* :func:`~matcher.workflows.assign.assign_files` (``matcher assign``)
* :func:`~matcher.workflows.simulate.simulate_scenario` (``matcher simulate``)
* :mod:`~matcher.workflows.history` (``matcher history …``)
* :func:`~matcher.workflows.validate.validate_files` (``matcher validate``)
* :func:`~matcher.workflows.ingest.ingest_files` (``matcher ingest``)
* :func:`~matcher.workflows.evaluate.evaluate_files` (``matcher evaluate``)
* :func:`~matcher.workflows.introduce.introduce_run` (``matcher introduce``)
* :func:`~matcher.workflows.examples.copy_examples` (``matcher examples``)
"""

__all__ = [
    "analyze",
    "assign",
    "common",
    "evaluate",
    "evaluate_inputs",
    "examples",
    "generate",
    "history",
    "ingest",
    "introduce",
    "review",
    "simulate",
    "validate",
]
